"""The core: names shared by every layer (Keras-style keys and splits, the user's frame for warnings);
it imports the standard library and numpy only, and nothing else of fitwatch."""
