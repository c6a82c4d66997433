"""
Loaded by Python at start-up in the moto_server that local/moto-server.ts starts (this folder is put
on its PYTHONPATH). DynamoDB applies the writes to one item one at a time, so of two conditional
writes made at the same moment exactly one can see the item as the other left it
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
moto_server answers each request on a thread of its own and checks a condition and applies the
write without a lock, so two conditional writes could both pass: moto's DynamoDB writes are
serialised here, so the emulator keeps the rule the delivery lease and every other conditional
write of the project rely on.
"""

import threading

try:
    from moto.dynamodb.models import DynamoDBBackend
except ImportError:  # not a moto with DynamoDB: nothing to serialise
    DynamoDBBackend = None

if DynamoDBBackend is not None:
    _lock = threading.RLock()

    def _serialised(method):
        def run(self, *args, **kwargs):
            with _lock:
                return method(self, *args, **kwargs)

        run.__name__ = method.__name__
        return run

    for _name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
        _method = getattr(DynamoDBBackend, _name, None)
        if _method is not None:
            setattr(DynamoDBBackend, _name, _serialised(_method))
