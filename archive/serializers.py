"""Django's JSON serialization format with times kept to the microsecond.

Django's encoder cuts times to milliseconds, so an archive exported and imported again
(export_archive, import_archive) would come back with its import times changed. Settings
install this module as the "json" format.
"""

import datetime

from django.core.serializers import json
from django.core.serializers.json import Deserializer  # noqa: F401  (the format's reader)


class Encoder(json.DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()
        return super().default(o)


class Serializer(json.Serializer):
    def _init_options(self):
        self.options.setdefault("cls", Encoder)
        super()._init_options()
