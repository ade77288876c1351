import sys
from pathlib import Path

# mini_dap, the examples' stand-in deploy client (not the SDK).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'examples'))
