"""The soak's admin writes and their read-back (bench/soak/README.md).

A Group is one store and the corsd instances that serve it: the embedded
SQLite store has one, the PostgreSQL store two replicas. Writers send a steady
stream of Admin writes to a group, spread evenly over its instances (writer i
to instance i mod n, or to another one while it is down: the restart takes a
replica out of the rotation first and waits for its calls in flight, so no
write is sent to a replica that is stopping), and
keep a record of every write and whether it was acknowledged. At the end
verify() reads every instance back (ListEntries, GetTenant) and compares it
with what the acknowledged writes say must be there.

Writes touch the benchmark dataset's own tenants (tenant-000000 ...), which
the decision traffic reads at the same time:
  * origins added and removed: "https://s<N>.<group>-<writer>.soak.example",
    a new name for every add, so each tenant holds between K-1 and K soak
    origins once filled (the tables' size stays flat; removed entries have to
    be reclaimed);
  * policies replaced (every 5th write): the dataset's policy (BenchPolicy in
    bench/load/requests.cc) with another max_age_seconds and one more exposed
    header, so every decision the traffic expects stays the same.
Each writer owns its tenants (tenant number mod writers), so the order of
the writes to one tenant is the order they were acknowledged in.

Thread safety: Group is shared by its writers and the restart (one
condition variable); each Writer's state is its own thread's, read by
verify() after the thread has been joined.
"""

import collections
import threading
import time

import grpc

# Each tenant keeps between K - 1 and K soak origins once filled.
_LIVE_PER_TENANT = 3
# Every n-th write of a writer replaces a policy; the others add or remove.
_POLICY_EVERY = 5
_SUFFIX = ".soak.example"
_CALL_TIMEOUT_S = 30


class AdminClient:
  """Admin RPCs over one channel to one corsd's admin listener."""

  def __init__(self, modules, addr, token):
    self.admin_pb2, self.policy_pb2 = modules
    self.addr = addr
    self.channel = grpc.insecure_channel(addr)
    self.metadata = [("authorization", f"Bearer {token}")]

  def call(self, method, request, response_type):
    rpc = self.channel.unary_unary(
        f"/corsd.v1.Admin/{method}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString)
    return rpc(request, metadata=self.metadata, timeout=_CALL_TIMEOUT_S)

  def write_entry(self, tenant, value, add):
    pb = self.admin_pb2
    op = pb.EntryOp(op=pb.EntryOp.OP_ADD if add else pb.EntryOp.OP_REMOVE,
                    kind=pb.ENTRY_KIND_ORIGIN, tenant=tenant, value=value)
    return self.call("WriteEntries", pb.WriteEntriesRequest(ops=[op]),
                     pb.WriteEntriesResponse).revision

  def put_policy(self, tenant, policy):
    pb = self.admin_pb2
    req = pb.PutTenantRequest(tenant=pb.Tenant(id=tenant, policy=policy))
    return self.call("PutTenant", req, pb.PutTenantResponse).revision

  def origins(self, tenant):
    """Every origin entry of `tenant`, all pages."""
    pb = self.admin_pb2
    values, token = [], ""
    while True:
      resp = self.call("ListEntries", pb.ListEntriesRequest(
          tenant=tenant, kind=pb.ENTRY_KIND_ORIGIN, page_size=10000,
          page_token=token), pb.ListEntriesResponse)
      values.extend(resp.values)
      token = resp.next_page_token
      if not token:
        return values

  def policy(self, tenant):
    pb = self.admin_pb2
    return self.call("GetTenant", pb.GetTenantRequest(id=tenant),
                     pb.TenantInfo).tenant.policy

  def revision(self):
    pb = self.admin_pb2
    return self.call("Stats", pb.StatsRequest(), pb.StatsResponse).revision

  def close(self):
    self.channel.close()


def bench_policy(policy_pb2, seq):
  """BenchPolicy() of bench/load/requests.cc, varied by `seq` in what no
  decision of the traffic depends on: max_age_seconds and one more exposed
  header."""
  return policy_pb2.Policy(
      allowed_methods=["PUT", "PATCH", "DELETE"],
      allowed_headers=["authorization", "content-type", "x-request-id"],
      exposed_headers=["x-request-id", "x-ratelimit-remaining",
                       f"x-soak-{seq % 7}"],
      allow_credentials=True,
      max_age_seconds=7200 - (seq % 3600),
      enforce_unsafe_methods=True)


def policy_signature(policy):
  """What a replaced policy is compared on."""
  return (policy.max_age_seconds,
          tuple(sorted(h.lower() for h in policy.exposed_headers)))


class Group:
  """One store's instances, and which of them take writes now."""

  def __init__(self, name, instances):
    self.name = name
    self.order = list(instances)
    self.clients = {n: None for n in self.order}
    self.inflight = {n: 0 for n in self.order}
    self.max_revision = 0
    self.cv = threading.Condition()

  def bring_up(self, name, client):
    with self.cv:
      self.clients[name] = client
      self.cv.notify_all()

  def take_down(self, name, timeout=30):
    """Takes `name` out of the rotation and waits until its writes in
    flight have returned. Returns False if they did not within `timeout`."""
    with self.cv:
      client, self.clients[name] = self.clients[name], None
      ok = self.cv.wait_for(lambda: self.inflight[name] == 0, timeout)
    if client is not None:
      client.close()
    return ok

  def acquire(self, prefer, timeout=30):
    """(name, client) of instance number `prefer` (mod the group's size),
    or of the next one that is up when it is not; counted in flight until
    release(name). None if none was up within `timeout`."""
    with self.cv:
      if not self.cv.wait_for(
          lambda: any(self.clients[n] for n in self.order), timeout):
        return None
      for i in range(len(self.order)):
        name = self.order[(prefer + i) % len(self.order)]
        if self.clients[name]:
          break
      self.inflight[name] += 1
      return name, self.clients[name]

  def release(self, name, revision=0):
    with self.cv:
      self.inflight[name] -= 1
      self.max_revision = max(self.max_revision, revision)
      self.cv.notify_all()

  def client(self, name):
    with self.cv:
      return self.clients[name]


class _TenantState:

  def __init__(self):
    self.live = collections.deque()  # acknowledged adds, oldest first
    self.removed = set()  # acknowledged removes (their adds were acked)
    self.uncertain = set()  # values whose last write failed
    self.policy = None  # signature of the last acknowledged policy
    self.policy_uncertain = False


class Writer(threading.Thread):
  """Writes to `group` at `rate` writes/s until stop() (absolute schedule:
  a slow write is caught up on, never silently dropped), on the tenants
  numbered t with t % of == index among the first `tenants`."""

  def __init__(self, group, modules, index, of, tenants, rate, epoch, record):
    super().__init__(name=f"writer-{group.name}-{index}", daemon=True)
    self.group = group
    self.policy_pb2 = modules[1]
    self.index = index
    self.rate = rate
    self.epoch = epoch
    self.record = record  # callable(dict), thread-safe
    self.tenants = [f"tenant-{t:06d}" for t in range(index, tenants, of)]
    self.state = {t: _TenantState() for t in self.tenants}
    self.stopping = threading.Event()
    self.acked = 0
    self.failed = 0
    self.failures = collections.Counter()  # "method: code" -> n
    self.seq = 0
    self.latencies_ms = []
    self.policy_n = 0
    self.entry_n = 0

  def stop(self):
    self.stopping.set()

  def run(self):
    start = time.monotonic()
    while not self.stopping.is_set():
      due = start + self.seq / self.rate
      wait = due - time.monotonic()
      if wait > 0 and self.stopping.wait(wait):
        break
      self._write_one(self.seq)
      self.seq += 1

  def _write_one(self, seq):
    # Policies and entries each go round robin over the writer's tenants.
    if seq % _POLICY_EVERY == _POLICY_EVERY - 1:
      tenant = self.tenants[self.policy_n % len(self.tenants)]
      self.policy_n += 1
    else:
      tenant = self.tenants[self.entry_n % len(self.tenants)]
      self.entry_n += 1
    st = self.state[tenant]
    if seq % _POLICY_EVERY == _POLICY_EVERY - 1:
      kind, policy = "policy", bench_policy(self.policy_pb2, seq)
      value = f"max_age={policy.max_age_seconds} x-soak-{seq % 7}"
    elif len(st.live) < _LIVE_PER_TENANT:
      kind, value = "add", (f"https://s{seq}.{self.group.name}-{self.index}"
                            f"{_SUFFIX}")
    else:
      kind, value = "remove", st.live[0]
    # Writer i sends to instance i (mod the group): the replicas take equal
    # shares. (Alternating every write between them also works but each
    # write then finds its replica a revision behind and retries after
    # catching up: half the PostgreSQL write rate on this machine.)
    got = self.group.acquire(self.index)
    if got is None:
      self._failed(kind, tenant, value, st, "", "no instance up")
      return
    instance, client = got
    revision = 0
    sent = time.monotonic()
    try:
      if kind == "policy":
        revision = client.put_policy(tenant, policy)
      else:
        revision = client.write_entry(tenant, value, kind == "add")
    except grpc.RpcError as e:
      self._failed(kind, tenant, value, st, instance,
                   f"{e.code().name}: {e.details()}")
      return
    except ValueError as e:  # a channel closed under us: not acknowledged
      self._failed(kind, tenant, value, st, instance, f"channel: {e}")
      return
    finally:
      self.group.release(instance, revision)
    self.acked += 1
    self.latencies_ms.append((time.monotonic() - sent) * 1000)
    if kind == "policy":
      st.policy, st.policy_uncertain = policy_signature(policy), False
    elif kind == "add":
      st.live.append(value)
      st.uncertain.discard(value)
    else:
      st.live.popleft()
      st.removed.add(value)
    self.record({"t": round(time.monotonic() - self.epoch, 3),
                 "group": self.group.name, "instance": instance, "op": kind,
                 "tenant": tenant, "value": value, "revision": revision,
                 "ms": round(self.latencies_ms[-1], 2), "ok": True})

  def _failed(self, kind, tenant, value, st, instance, error):
    self.failed += 1
    self.failures[f"{kind} via {instance or '-'}: {error.split(':')[0]}"] += 1
    if kind == "policy":
      st.policy_uncertain = True
    else:
      # An add or remove that was not acknowledged may or may not have
      # landed: the value is left out of the comparison (the failure is
      # counted as an error).
      st.uncertain.add(value)
      if kind == "remove":
        st.live.popleft()
    self.record({"t": round(time.monotonic() - self.epoch, 3),
                 "group": self.group.name, "instance": instance, "op": kind,
                 "tenant": tenant, "value": value, "ok": False,
                 "error": error})


def wait_caught_up(client, revision, timeout=30):
  """Waits until `client`'s instance has applied `revision`; returns the
  revision it reports (which may be short of it on timeout)."""
  deadline = time.monotonic() + timeout
  while True:
    seen = client.revision()
    if seen >= revision or time.monotonic() > deadline:
      return seen
    time.sleep(0.1)


def verify(writers, instance, client):
  """Reads back from `instance` every tenant the writers touched; returns
  (lost, unexpected, checked, problems): lost counts acknowledged adds
  missing, acknowledged removes undone and acknowledged policies not in
  force; unexpected counts soak origins present that no write explains;
  checked counts what was compared; problems names the first few."""
  lost = unexpected = checked = 0
  problems = []
  for w in writers:
    for tenant, st in w.state.items():
      present = {v for v in client.origins(tenant) if v.endswith(_SUFFIX)}
      want = set(st.live)
      for v in sorted(want - present):
        lost += 1
        problems.append(f"{instance}: {tenant}: acknowledged add {v} missing")
      for v in sorted((present & st.removed) - st.uncertain):
        lost += 1
        problems.append(f"{instance}: {tenant}: acknowledged remove of {v} "
                        "undone")
      unknown = present - want - st.removed - st.uncertain
      for v in sorted(unknown):
        unexpected += 1
        problems.append(f"{instance}: {tenant}: {v} present, never "
                        "acknowledged")
      checked += len(want) + len(st.removed)
      if st.policy is not None and not st.policy_uncertain:
        checked += 1
        got = policy_signature(client.policy(tenant))
        if got != st.policy:
          lost += 1
          problems.append(f"{instance}: {tenant}: policy {got}, last "
                          f"acknowledged {st.policy}")
  return lost, unexpected, checked, problems[:20]
