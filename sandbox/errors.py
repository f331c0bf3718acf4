"""Bot API errors with Telegram's verbatim wording. Owns the error vocabulary, nothing else."""

from __future__ import annotations

from typing import Any

# Descriptions copied from Telegram's answers; the bot maps errors by these strings.
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
CHAT_NOT_FOUND = "Bad Request: chat not found"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_EDIT = "Bad Request: message can't be edited"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_DELETE = "Bad Request: message can't be deleted for everyone"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
DEACTIVATED = "Forbidden: user is deactivated"
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
MARKUP_JSON = "Bad Request: can't parse reply keyboard markup JSON object"
MARKUP_OBJECT = "Bad Request: object expected as reply markup"
ENTITIES_PREFIX = "Bad Request: can't parse entities: "
REQUEST_TOO_LARGE = "Request Entity Too Large"
FILE_TOO_BIG = "Bad Request: file is too big"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
INVALID_FILE_ID = "Bad Request: invalid file_id"
IMAGE_PROCESS_FAILED = "Bad Request: IMAGE_PROCESS_FAILED"
NO_DOCUMENT = "Bad Request: there is no document in the request"
NO_PHOTO = "Bad Request: there is no photo in the request"
SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def too_many_requests(retry_after: int) -> ApiError:
    """The flood-control error with its ``retry_after`` parameter."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def bad_request(detail: str) -> ApiError:
    """A 400 error whose description is ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


class ApiError(Exception):
    """A Bot API error answer: HTTP status = ``error_code``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body
