"""Long-running Qt-free jobs: auto-label runs. Progress is reported as events; cancel is a flag."""
