import uuid
from datetime import datetime

from sampleapp.errors import DeliveryFailed


def send_welcome(email: str, user_id: uuid.UUID, attempts: int, at: datetime) -> None:
    raise DeliveryFailed(
        f"could not deliver to {email} (user {user_id}) after {attempts} attempts at {at.isoformat()}"
        f" via smtp://mail.example.com:587 from 10.0.3.{attempts}"
    )
