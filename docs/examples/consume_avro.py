#!/usr/bin/python3
"""Reads Narrator's captions (or dead letters) written with captions.format=avro: Avro single-object encoding.

Needs confluent-kafka and Apache Avro (Debian: apt install python3-confluent-kafka python3-avro, then run with
/usr/bin/python3):

    consume_avro.py --bootstrap localhost:9092 --from-beginning
    consume_avro.py --bootstrap localhost:9092 --topic narrator.dead-letters --schema schemas/DeadLetter.avsc

Each value is the bytes C3 01, the 8-byte CRC-64-AVRO fingerprint (little-endian) of the writer schema's Parsing
Canonical Form, then the binary record. The fingerprint is checked against the schema given, so a record of another
schema (or another version of it: each is in schemas/history/) is named rather than misread. Prints one JSON object
per record, as captions.format=json would write it (bytes in base64).
"""
import argparse
import base64
import io
import json
import math
import os
import struct
import sys

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaException

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas")
CRC64_EMPTY = 0xC15D213AA4D7A795


def crc64_avro(data):
    """The CRC-64-AVRO (Rabin) fingerprint, as the single-object header carries it."""
    fp = CRC64_EMPTY
    for b in data:
        fp ^= b
        for _ in range(8):
            fp = (fp >> 1) ^ (CRC64_EMPTY & -(fp & 1))
    return fp


def plain(value):
    """A decoded Avro value as JSON can hold it: bytes in base64, NaN and infinities as strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def main():
    parser = argparse.ArgumentParser(description="Print Narrator's single-object Avro records as JSON lines.")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", default="narrator.captions")
    parser.add_argument("--schema", default=os.path.join(SCHEMAS, "Caption.avsc"), help="the topic's schema (Caption.avsc, DeadLetter.avsc)")
    parser.add_argument("--group", default="narrator-subscriber", help="consumer group")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest record (a new group only)")
    parser.add_argument("--limit", type=int, help="exit after this many records")
    parser.add_argument("--timeout", type=float, default=0, help="with --limit: give up after this many seconds (0: never)")
    args = parser.parse_args()

    with open(args.schema, encoding="utf-8") as f:
        schema = avro.schema.parse(f.read())
    header = b"\xc3\x01" + struct.pack("<Q", crc64_avro(schema.canonical_form.encode("utf-8")))
    reader = avro.io.DatumReader(schema, schema)

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group, "isolation.level": "read_committed",
                         "auto.offset.reset": "earliest" if args.from_beginning else "latest"})
    consumer.subscribe([args.topic])
    printed = 0
    waited = 0.0
    try:
        while args.limit is None or printed < args.limit:
            msg = consumer.poll(1.0)
            if msg is None:
                waited += 1.0
                if args.limit is not None and args.timeout and waited >= args.timeout:
                    print("only %d of %d records within %.0f s" % (printed, args.limit, args.timeout), file=sys.stderr)
                    return 1
                continue
            if msg.error():
                raise KafkaException(msg.error())
            value = msg.value()
            if value[:10] != header:
                print("skipped %s-%d@%d: not single-object Avro of %s (the first bytes are %s)"
                      % (msg.topic(), msg.partition(), msg.offset(), schema.fullname, value[:10].hex()), file=sys.stderr)
                continue
            record = reader.read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))
            print(json.dumps(plain(record)), flush=True)
            printed += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
