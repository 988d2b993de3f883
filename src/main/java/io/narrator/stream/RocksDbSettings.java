package io.narrator.stream;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

/**
 * Narrator's RocksDB options for its state stores (Kafka Streams' {@code rocksdb.config.setter}, set unless the
 * configuration names another): RocksDB's own periodic statistics dump and persistence are off. They only feed
 * RocksDB's LOG file and its statistics history, which Narrator does not use (its metrics come from Kafka Streams
 * and Micrometer), and their timer thread crashed a benchmark JVM (SIGSEGV in {@code rocksdb::DBImpl::DumpStats})
 * at the end of a pre-warm run, about when that run's stores were closing.
 */
public final class RocksDbSettings implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setStatsDumpPeriodSec(0);
        options.setStatsPersistPeriodSec(0);
    }

    @Override
    public void close(String storeName, Options options) {
        // nothing was allocated
    }
}
