from enum import StrEnum

class FeedbackInOutcome(StrEnum):
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
