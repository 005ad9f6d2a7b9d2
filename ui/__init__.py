"""The Gradio web UI of 政言 (built by `ui.app.build_app`, started by `rag serve`)."""
