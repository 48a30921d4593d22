"""Plain-Python domain of Trạm: records, validation, Vietnamese text, schedules. No Qt, no SQL."""
