"""python3-icalendar for the calendar tests: `from system_icalendar import
icalendar` imports it, or runs the test again with the system python3 (where
Debian's package puts it), or bails out naming the package."""
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"
try:
    import icalendar  # noqa: F401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.path.exists(SYSTEM_PYTHON):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("Bail out! python3-icalendar is not installed (apt-get install python3-icalendar)")
    sys.exit(1)
