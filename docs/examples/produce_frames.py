#!/usr/bin/python3
"""Publishes JPEG images to Narrator's frames topic from Python: one stream's frames, one second of event time apart.

Needs confluent-kafka (Debian: apt install python3-confluent-kafka, then run with /usr/bin/python3):

    produce_frames.py --bootstrap localhost:9092 --stream door --start-micros 1700000000000000 a.jpg b.jpg

Each record is a VideoFrame in Avro single-object encoding (C3 01, the schema's CRC-64-AVRO fingerprint, the binary
record), keyed by the stream id in UTF-8, and partitioned by murmur2 of the key, as Kafka's Java client and Kafka
Streams partition: librdkafka's default partitioner (consistent_random, CRC32) puts a stream on another partition than
Narrator expects, and Narrator dead-letters such records (WRONG_PARTITION). --partitioner exists to show that.
"""
import argparse
import json
import os
import struct
import sys

from confluent_kafka import Producer

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas", "VideoFrame.avsc")
CRC64_EMPTY = 0xC15D213AA4D7A795
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def canonical_form(schema):
    """Avro's Parsing Canonical Form of a record whose fields are all primitive (VideoFrame's are)."""
    for field in schema["fields"]:
        if field["type"] not in PRIMITIVES:
            raise ValueError("field %s is not primitive: this example writes records of primitive fields only" % field["name"])
    fields = ",".join('{"name":"%s","type":"%s"}' % (f["name"], f["type"]) for f in schema["fields"])
    return '{"name":"%s.%s","type":"record","fields":[%s]}' % (schema["namespace"], schema["name"], fields)


def crc64_avro(data):
    """The CRC-64-AVRO (Rabin) fingerprint of the single-object encoding header."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (CRC64_EMPTY & -(fp & 1))
        table.append(fp)
    fp = CRC64_EMPTY
    for b in data:
        fp = (fp >> 8) ^ table[(fp ^ b) & 0xFF]
    return fp


def avro_long(n):
    n = (n << 1) ^ (n >> 63)  # zig-zag
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def avro_bytes(b):
    return avro_long(len(b)) + b


def jpeg_size(data):
    """Width and height from a JPEG's frame header."""
    i = 2
    while i + 9 < len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise ValueError("no JPEG frame header")


def video_frame(header, stream, sequence, micros, jpeg):
    width, height = jpeg_size(jpeg)
    return (header + avro_bytes(stream.encode("utf-8")) + avro_long(sequence) + avro_long(micros)
            + avro_bytes(b"JPEG") + avro_long(width) + avro_long(height) + avro_bytes(jpeg))


def main():
    parser = argparse.ArgumentParser(description="Publish JPEG files as one stream's frames to Narrator's frames topic.")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", default="narrator.frames")
    parser.add_argument("--stream", required=True, help="the stream id: the record key")
    parser.add_argument("--start-micros", type=int, required=True, help="event time of the first frame, in microseconds")
    parser.add_argument("--partitioner", default="murmur2_random",
                        help="murmur2_random (what Narrator needs; the default here) or librdkafka's own default consistent_random")
    parser.add_argument("--schema", default=SCHEMA, help="VideoFrame.avsc")
    parser.add_argument("jpegs", nargs="+")
    args = parser.parse_args()

    with open(args.schema, encoding="utf-8") as f:
        header = b"\xc3\x01" + struct.pack("<Q", crc64_avro(canonical_form(json.load(f)).encode("utf-8")))
    producer = Producer({"bootstrap.servers": args.bootstrap, "partitioner": args.partitioner, "acks": "all"})
    failures = []

    def delivered(err, msg):
        if err is not None:
            failures.append(str(err))

    for i, path in enumerate(args.jpegs):
        with open(path, "rb") as f:
            value = video_frame(header, args.stream, i, args.start_micros + i * 1_000_000, f.read())
        producer.produce(args.topic, key=args.stream.encode("utf-8"), value=value, on_delivery=delivered)
    if producer.flush(30) > 0 or failures:
        print("not delivered: %s" % (failures or "timed out"), file=sys.stderr)
        return 1
    print("published %d frames of stream %s to %s" % (len(args.jpegs), args.stream, args.topic))
    return 0


if __name__ == "__main__":
    sys.exit(main())
