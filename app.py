"""Start the clusterbot web chat: ``python app.py`` (same as ``clusterbot serve``).

Settings come from ``BOT_*`` environment variables (see ``.env.example``): BOT_HOST, BOT_PORT,
BOT_CORPUS_DIR, BOT_INDEX_DIR, BOT_ADMIN_PASSWORD... Without an index, the first start builds
it from the corpus folder and shows the progress. Importing this module does no work.
"""

import os
import sys


def main() -> None:
    """Build the bot from the settings, then serve the web app until interrupted."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("GRADIO_ANALYTICS_ENABLED", "False"), ("ANONYMIZED_TELEMETRY", "False"),
                        ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
    from bot.errors import BotError
    from bot.web import serve

    try:
        serve()
    except BotError as exc:
        sys.exit(f"Error: {exc}")


if __name__ == "__main__":
    main()
