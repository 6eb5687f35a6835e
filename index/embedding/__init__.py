"""Text to vectors: the model and its conversion, the runtimes (backends) and their model files, the CPU, windows, Ray."""
