"""The library behind tools/keeltest.py: case files, console protocol, judging, emulators."""
