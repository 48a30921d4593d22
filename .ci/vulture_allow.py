# Names vulture reports as unused that are used, by Qt or by the language (checked: `uv run vulture
# station_app .ci/vulture_allow.py --min-confidence 80`). Keep it short; say why for each.
disambiguation  # QTranslator.translate's signature: Qt calls it with this argument
