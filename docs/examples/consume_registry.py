#!/usr/bin/python3
"""Reads Narrator's captions (or dead letters) written with captions.format=registry: Avro in the Schema Registry
wire format (the byte 0, the 4-byte schema id, the binary record), the writer schema fetched from the registry by id.

Needs confluent-kafka and Apache Avro (Debian: apt install python3-confluent-kafka python3-avro, then run with
/usr/bin/python3):

    consume_registry.py --bootstrap localhost:9092 --registry http://localhost:8081 --from-beginning
    consume_registry.py --bootstrap localhost:9092 --registry https://registry:8081 --user-info user:password \\
        --topic narrator.dead-letters

The values are decoded with confluent-kafka's registry client and message decoder; keys are the stream ids as plain
UTF-8 (not registry-framed), so only values go through the decoder. (With confluent-kafka 2 from pip and fastavro,
confluent_kafka.schema_registry.avro.AvroDeserializer is the same in the newer API.) Prints one JSON object per
record, as captions.format=json would write it (bytes in base64).
"""
import argparse
import base64
import json
import math
import sys

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


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
    parser = argparse.ArgumentParser(description="Print Narrator's Schema Registry Avro records as JSON lines.")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--registry", required=True, help="the Schema Registry's URL (schema.registry.url)")
    parser.add_argument("--user-info", help="user:password for the registry's basic authentication")
    parser.add_argument("--ca", help="CA certificate (PEM) of an https registry")
    parser.add_argument("--topic", default="narrator.captions")
    parser.add_argument("--group", default="narrator-subscriber", help="consumer group")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest record (a new group only)")
    parser.add_argument("--limit", type=int, help="exit after this many records")
    parser.add_argument("--timeout", type=float, default=0, help="with --limit: give up after this many seconds (0: never)")
    args = parser.parse_args()

    registry_conf = {"url": args.registry}
    if args.user_info:
        registry_conf.update({"basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": args.user_info})
    if args.ca:
        registry_conf["ssl.ca.location"] = args.ca
    decoder = MessageSerializer(CachedSchemaRegistryClient(registry_conf))

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
            record = decoder.decode_message(msg.value())
            print(json.dumps(plain(record)), flush=True)
            printed += 1
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
