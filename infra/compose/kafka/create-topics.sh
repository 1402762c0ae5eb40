#!/bin/sh
# docker-compose.yaml's kafka-init service: creates the stack's topics, then exits 0 so the services
# that wait for it (`service_completed_successfully`) start. Settings come from the service's
# environment, where the contract test reads them:
#   BOOTSTRAP   the broker's internal listener (kafka:19092)
#   TOPICS      space-separated topic names
#   PARTITIONS  partitions per topic (6, as `npm start` creates them)
# Every topic uses broker append time (message.timestamp.type=LogAppendTime): freshness figures
# ("Kafka append time" to Redis acknowledgement) must use the broker's clock, not the producer's.
# --if-not-exists makes a second `docker compose up` a no-op instead of a failure.
set -eu

: "${BOOTSTRAP:?BOOTSTRAP is not set}"
: "${TOPICS:?TOPICS is not set}"
: "${PARTITIONS:?PARTITIONS is not set}"

for topic in $TOPICS; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1 \
    --config message.timestamp.type=LogAppendTime
  echo "kafka-init: topic $topic ready ($PARTITIONS partitions, LogAppendTime)"
done
