from tagguard.cli import run

run()
