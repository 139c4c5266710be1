"""E-mails of the stalls app, sent through Django's tasks API (``enqueue_email``)."""

from marketflow.email_tasks import email_task
from marketflow.emails import templated_email
from stalls.models import MarketMessage


@email_task
def send_market_message(*, message_id: str):
    """An organizer's message, one e-mail per vendor written to (nobody sees the others'
    addresses), each with the organizer as the address to reply to. A send that fails is
    retried from the first e-mail not sent (``@email_task``)."""
    message = MarketMessage.objects.select_related("market__organizer").get(pk=message_id)
    market = message.market
    for email in message.recipients:
        mail = templated_email(
            template="market_message",
            to=[email],
            context={"message": message, "market": market},
        )
        mail.reply_to = [market.organizer.email]
        yield mail
