"""`livepoll bench`: the load generator operators use to size their machines (docs/performance.md).

Modules: `command` (the click command and its scenario presets), `run` (the parent process: ramp, phases,
/metrics, exactness), `worker` (one generator process), `storm` (reconnect storm), `clients` (lean
WebSocket and HTTP clients), `server` (target checks, session setup, /metrics), `report` (figures, table),
`summary` (medians over runs), `anatomy` (CPU per step of the ballot path), `floor` (CPU per message of the
bare uvicorn/Starlette WebSocket stack).
"""
