#!/usr/bin/python3
"""Reads Narrator's captions (or dead letters) written with captions.format=json: one JSON object per record, with the
schema's fields (bytes in base64, unions as their plain value or null).

Needs confluent-kafka (Debian: apt install python3-confluent-kafka, then run with /usr/bin/python3):

    consume_json.py --bootstrap localhost:9092 --from-beginning
    consume_json.py --bootstrap localhost:9092 --topic narrator.dead-letters

Prints each record as one JSON line.
"""
import argparse
import json
import sys

from confluent_kafka import Consumer, KafkaException


def main():
    parser = argparse.ArgumentParser(description="Print Narrator's JSON records, one per line.")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", default="narrator.captions")
    parser.add_argument("--group", default="narrator-subscriber", help="consumer group")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest record (a new group only)")
    parser.add_argument("--limit", type=int, help="exit after this many records")
    parser.add_argument("--timeout", type=float, default=0, help="with --limit: give up after this many seconds (0: never)")
    args = parser.parse_args()

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
            record = json.loads(msg.value())
            print(json.dumps(record), flush=True)
            printed += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
