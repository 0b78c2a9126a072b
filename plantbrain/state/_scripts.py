"""The saver's Lua scripts: atomic writes that touch several keys of one thread in one call.

Every key a script touches carries the thread's hash tag, so on a cluster it runs on the one
node that owns the thread. Keys derived inside a script (a thread's key set members) share
that tag by construction.
"""

_TOUCH = """
local function touch_all(keyset, ttl)
  local ks = redis.call('SMEMBERS', keyset)
  for i = 1, #ks do redis.call('PEXPIRE', ks[i], ttl) end
  redis.call('PEXPIRE', keyset, ttl)
end
local function touch(keyset, ttl, first, last)
  local marker = keyset .. ':fresh'
  if redis.call('EXISTS', marker) == 1 then
    for i = first, last do redis.call('PEXPIRE', KEYS[i], ttl) end
    redis.call('PEXPIRE', keyset, ttl)
  else
    redis.call('SADD', keyset, marker)
    redis.call('SET', marker, '1', 'PX', math.max(1, math.floor(ttl / 2)))
    touch_all(keyset, ttl)
  end
end
"""
# A thread's TTL restarts on every write. The keys a write touches (KEYS[first..last]) and
# the key set get the full TTL at once; the rest of the thread (older checkpoints and their
# writes) is refreshed at most once per half TTL, when the `:fresh` marker has expired, so a
# write costs the same on a thread of ten checkpoints as on one of ten thousand. Hence: a
# thread is gone `ttl` after its last write; its older checkpoints may go from `ttl / 2`.

TOUCH_THREAD = _TOUCH + "touch_all(KEYS[1], ARGV[1])\nreturn 1\n"
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
if ttl > 0 then touch(KEYS[4], ttl, 1, 5) end
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
if ttl > 0 then touch(KEYS[2], ttl, 1, #KEYS) end
return 1
"""
)
"""Store a task's pending writes. KEYS: writes, keyset, then the keys whose TTL to restart
with it (checkpoint, index, namespaces, values). ARGV: ttl ms, then (replace?, field, record)."""

DELETE_THREAD = """
local ks = redis.call('SMEMBERS', KEYS[1])
for i = 1, #ks, 500 do
  redis.call('DEL', unpack(ks, i, math.min(i + 499, #ks)))
end
redis.call('DEL', KEYS[1])
return #ks
"""
