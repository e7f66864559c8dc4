from enum import StrEnum

class Scope(StrEnum):
    ADMIN = "admin"
    SEARCH = "search"
    WORKFLOWS = "workflows"

    def __str__(self) -> str:
        return str(self.value)
