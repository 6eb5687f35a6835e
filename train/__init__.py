"""Training the default model's shipped tuning (make train): see train/finetune.py."""
