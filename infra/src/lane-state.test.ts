import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { keyPartition, laneSnapshotKey, murmur2, parseLaneLayout } from './lane-state.js';

// kafkajs's own partitioner decides where the aggregator's producer puts a lane's events.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string) => number;
const { Partitioners } = require('kafkajs') as typeof import('kafkajs');

describe('lane state keys', () => {
  it('murmur2 equals kafkajs’s for ASCII, UTF-8 and every tail length', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'user-42', 'ünïcødé-Käse', '🛒cart', crypto.randomUUID()];
    for (let i = 0; i < 500; i++)
      keys.push(
        Math.random()
          .toString(36)
          .repeat(1 + (i % 5))
          .slice(0, i % 41),
      );
    for (const key of keys) expect(murmur2(key), key).toBe(kafkajsMurmur2(key));
  });

  it('keyPartition is the partition kafkajs’s default partitioner picks', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 6, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, id) => ({ partitionId: id, leader: 0 }));
      for (let i = 0; i < 200; i++) {
        const key = crypto.randomUUID();
        const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: '' } } as never);
        expect(keyPartition(key, partitions)).toBe(expected);
      }
    }
  });

  it('a layout names the snapshot key of a lane; a malformed layout is null', () => {
    const layout = parseLaneLayout(
      '{"group":"tandem-features","partitions":{"user":6,"session":3},"definitionVersion":"v1"}',
    );
    expect(layout).not.toBeNull();
    const key = laneSnapshotKey(layout as never, 'user', 'u1');
    expect(key).toBe(`tandem:{tandem-features:user:${keyPartition('u1', 6)}}:state:u1`);
    for (const bad of [
      null,
      '',
      'nope',
      '{"group":"g","partitions":{"user":0,"session":1},"definitionVersion":"v1"}',
      '{"group":"g","partitions":{"user":1,"session":1}}',
      '{"partitions":{}}',
    ])
      expect(parseLaneLayout(bad)).toBeNull();
  });
});
