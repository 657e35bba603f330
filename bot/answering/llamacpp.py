"""A LangChain chat model over a local GGUF file, run by llama-cpp-python.

``langchain_community.chat_models.ChatLlamaCpp`` would need the whole (sunset) community
package; this adapter is the part clusterbot uses: chat completion, streamed or not, through
the chat template stored in the GGUF file. ``llama_cpp`` is imported when the model loads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool"}


class ChatLlamaCpp(BaseChatModel):
    """Chat completions from a GGUF model file. One generation runs at a time per model."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int | None = None
    temperature: float = 0.0
    max_tokens: int = 256
    repeat_penalty: float = 1.1
    seed: int = 0

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx,
                "temperature": self.temperature, "max_tokens": self.max_tokens}

    def load(self) -> Any:
        """The ``llama_cpp.Llama`` of the file, loaded on first use."""
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx,
                                n_threads=self.n_threads or os.cpu_count(), seed=self.seed,
                                verbose=False)
        return self._llama

    def _completion(self, messages: list[BaseMessage], stop: list[str] | None,
                    stream: bool, **kwargs: Any) -> Any:
        return self.load().create_chat_completion(
            messages=[{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages],
            temperature=kwargs.get("temperature", self.temperature),
            max_tokens=kwargs.get("max_tokens", self.max_tokens),
            repeat_penalty=self.repeat_penalty, stop=stop or [],
            seed=self.seed, stream=stream)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        with self._lock:
            result = self._completion(messages, stop, stream=False, **kwargs)
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"),
                               "model_name": self.model_path},
            usage_metadata={"input_tokens": usage.get("prompt_tokens", 0),
                            "output_tokens": usage.get("completion_tokens", 0),
                            "total_tokens": usage.get("total_tokens", 0)})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        with self._lock:  # released when the consumer stops early and the stream is closed
            for part in self._completion(messages, stop, stream=True, **kwargs):
                choice = part["choices"][0]
                text = (choice.get("delta") or {}).get("content")
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
                if choice.get("finish_reason"):
                    yield ChatGenerationChunk(message=AIMessageChunk(
                        content="", response_metadata={"finish_reason": choice["finish_reason"]}))
