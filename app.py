"""The Gradio web chat over ``python -m bot``'s index (minimal until the web issue lands)."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from bot import Bot, WendaError

INDEX = Path(os.environ.get("WENDA_INDEX", "index"))


def build_app(bot: Bot) -> gr.Blocks:
    def respond(message: str, history: list) -> str:
        try:
            answer = bot.ask(message)
        except WendaError as error:
            return str(error)
        if not answer.found:
            return answer.message
        cited = answer.hits[answer.citation - 1].passage
        return f"{answer.text}\n\n「{answer.sentence}」 [{answer.citation}] {cited.title}"

    with gr.Blocks(title="Wenda", analytics_enabled=False) as demo:
        gr.ChatInterface(respond)
    return demo


if __name__ == "__main__":
    build_app(Bot.open(INDEX)).queue(default_concurrency_limit=4).launch(
        server_name="127.0.0.1", server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    )
