# Facet on a CUDA machine (e.g. a HuggingFace Space with a GPU, or `docker run --gpus all`).
# PyPI's torch==2.13.0 wheel for Linux is the CUDA build and brings its CUDA libraries, so a slim
# Python base is enough; the host's NVIDIA driver comes in through the container runtime.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    FACET_HOST=0.0.0.0 \
    FACET_PORT=7860 \
    HF_HOME=/data/hf

RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 git \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
# onnxruntime-gpu replaces the CPU onnxruntime (both install the same `onnxruntime` module, so the
# CPU one goes first; insightface's requirement on the name `onnxruntime` is satisfied by the module).
RUN pip install -r requirements.txt \
 && pip uninstall -y onnxruntime \
 && pip install onnxruntime-gpu==1.31.1

COPY . .

# Models: fetched at build time when PREFETCH=1 (bigger image, instant start), else on first start.
ARG PREFETCH=1
RUN if [ "$PREFETCH" = "1" ]; then python app.py --prefetch; fi

EXPOSE 7860
# --demo preloads every model before the first request, so the first click is as fast as the tenth.
CMD ["sh", "-c", "[ -n \"$(ls -A $HF_HOME 2>/dev/null)\" ] || python app.py --prefetch; exec python app.py --demo"]
