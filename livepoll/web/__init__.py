"""The web layer. `{code:code}` in a route path matches an 8-digit join code (registered here, before any
route module is imported)."""

from starlette.convertors import Convertor, register_url_convertor


class JoinCodeConvertor(Convertor[str]):
    regex = "[0-9]{8}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("code", JoinCodeConvertor())
