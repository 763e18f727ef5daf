"""Process tuning for the web server (called by cecopam/wsgi.py once the application is loaded).

Python's cyclic garbage collector, with its default thresholds, runs a young collection every
700 allocations: in the middle of every request, which builds tens of thousands of objects
(the results grid: 200 forms of 5 fields, their bound fields and widget contexts). Objects alive
at that moment are promoted to the older generations, die there when the request ends, and are
only reclaimed by full collections, which walk every object in the process: 50-100 ms pauses
every few requests, the 95th percentile of the heavy pages (bench/RESULTS.md).

tune_garbage_collector() moves everything loaded at start-up (Django, the apps, URL patterns)
into the permanent generation, which collections skip (gc.freeze), and makes young collections
rare enough that a request's objects are freed by reference counting before any collection
sees them; cycles are still collected, at the end of the young generation's life.
"""

import gc

YOUNG_THRESHOLD = 50_000  # allocations between young collections (Python's default: 700)
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 10


def tune_garbage_collector():
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
