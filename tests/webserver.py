"""A real clusterbot web app launched in the test process, for API and browser tests."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import gradio as gr
from gradio_client import Client

from bot import Bot, Settings
from bot.jobs import IndexRunner
from bot.web import WebApp, launch_options


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A launched app: its settings, bot, handlers, URL and an API client."""

    settings: Settings
    bot: Bot
    app: WebApp
    demo: gr.Blocks
    url: str
    client: Client


def launch(settings: Settings, embeddings) -> Server:
    """Launch the web app over ``settings`` on a free loopback port, in this process."""
    settings = settings.replace(port=free_port())
    bot = Bot(settings, embeddings)
    app = WebApp(bot, IndexRunner(bot))
    demo = app.build().queue(default_concurrency_limit=settings.concurrency,
                             max_size=settings.max_queue)
    _, url, _ = demo.launch(prevent_thread_lock=True, **launch_options(settings))
    return Server(settings, bot, app, demo, url, Client(url, verbose=False))
