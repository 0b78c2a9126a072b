"""The saver's Lua scripts: atomic writes that touch several keys of one thread in one call.

Every key a script touches carries the thread's hash tag, so on a cluster it runs on the one
node that owns the thread. Keys derived inside a script (a thread's key set members) share
that tag by construction.
"""

_TOUCH = """
local function touch(keyset, ttl)
  local ks = redis.call('SMEMBERS', keyset)
  for i = 1, #ks do redis.call('PEXPIRE', ks[i], ttl) end
  redis.call('PEXPIRE', keyset, ttl)
end
"""

TOUCH_THREAD = _TOUCH + "touch(KEYS[1], ARGV[1])\nreturn 1\n"
"""Restart the TTL of every key of a thread. KEYS: keyset. ARGV: ttl ms."""

PUT_CHECKPOINT = (
    _TOUCH
    + """
redis.call('HSET', KEYS[1], 'c', ARGV[3], 'm', ARGV[4], 'p', ARGV[5], 'r', ARGV[6])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[4], KEYS[1], KEYS[2], KEYS[3], KEYS[5])
for i = 10, #ARGV, 2 do redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
local ttl = tonumber(ARGV[7])
if KEYS[6] then redis.call('SADD', KEYS[6], ARGV[8]) end
if KEYS[7] then
  redis.call('SADD', KEYS[7], ARGV[9])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[7], ttl) end
end
if ttl > 0 then touch(KEYS[4], ttl) end
return 1
"""
)
"""Write one checkpoint atomically, in one round trip.

KEYS: checkpoint, index, namespaces, keyset, blobs; on a standalone server also the thread
registry and the run index (a cluster writes those two apart, as they live in other slots).
ARGV: id, namespace, checkpoint, metadata, parent id, run id, ttl ms (0: none), thread id,
run index member, then channel-version field and value pairs.
"""

PUT_WRITES = (
    _TOUCH
    + """
for i = 2, #ARGV, 3 do
  if ARGV[i] == '1' then
    redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else
    redis.call('HSETNX', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  end
end
redis.call('SADD', KEYS[2], KEYS[1])
local ttl = tonumber(ARGV[1])
if ttl > 0 then touch(KEYS[2], ttl) end
return 1
"""
)
"""Store a task's pending writes. KEYS: writes, keyset. ARGV: ttl ms, then (replace?, field, record)."""

DELETE_THREAD = """
local ks = redis.call('SMEMBERS', KEYS[1])
for i = 1, #ks, 500 do
  redis.call('DEL', unpack(ks, i, math.min(i + 499, #ks)))
end
redis.call('DEL', KEYS[1])
return #ks
"""
