from livepoll.cli import main

main()
