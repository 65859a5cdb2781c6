from core.api.base import (
    Api,
    Blueprint,
    PageArgs,
    api_auth,
    current_account,
    page_of,
    page_schema,
    parse_date,
    register_api,
)

__all__ = ["Api", "Blueprint", "PageArgs", "api_auth", "current_account", "page_of", "page_schema", "parse_date",
           "register_api"]
