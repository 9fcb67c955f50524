"""Admins add articles from the chat (placeholder)."""
LINK = r"^\s*https?://\S+\s*$"


async def on_document(update, context):
    await update.effective_message.reply_text("Sorry, I only take questions here.")


async def on_link(update, context):
    pass
