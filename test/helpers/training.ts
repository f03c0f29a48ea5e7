/**
 * A real training script for `cairn run` tests: Python 3 (stdlib only),
 * logging into a SQLite results database the way xetrack's Tracker does
 * (shared/fixtures/xetrack/README.md): table `default` created as
 * `(track_id TEXT, timestamp TEXT, PRIMARY KEY (track_id, timestamp))`, a
 * column added by ALTER TABLE the first time a key is seen (REAL for floats,
 * INTEGER for ints, TEXT otherwise), params copied into each row, local
 * timestamps `%Y-%m-%d %H:%M:%S.%f`, and the asset tables `assets`, `keys`,
 * `counts`. The version param comes from CAIRN_VERSION. With no noise, the
 * best f1 is at epoch 4 (0.6 + 2 * LR, for LR up to 0.1).
 *
 * Knobs (environment): LR (default 0.1); NOISE (noise added to f1, uniform in
 * [NOISE/2, 3*NOISE/2], so a run never lands on the old value; default 0: deterministic); EXIT (exit with this status after logging);
 * NO_WRITE=1 (log nothing); SLEEP (seconds to sleep before logging, with a
 * file `started` written first); and SIGINT is trapped: the script writes
 * `got-sigint` and exits 130. PIDS_DIR: a file named by the script's pid
 * lives there while it runs (a kill test waits for the script cairn leaves
 * running when it is killed).
 */
import { cairnOk } from './cli.js';
import { gitRepo, type TestRepo } from './repo.js';

export const TRAIN_PY = `import atexit, os, random, signal, sqlite3, sys, time
from datetime import datetime

if os.environ.get("PIDS_DIR"):
    mine = os.path.join(os.environ["PIDS_DIR"], str(os.getpid()))
    open(mine, "w").close()
    atexit.register(os.remove, mine)

def on_sigint(signum, frame):
    open("got-sigint", "w").write("SIGINT")
    sys.exit(130)
signal.signal(signal.SIGINT, on_sigint)

version = os.environ["CAIRN_VERSION"]
root = os.environ["CAIRN_ROOT"]
lr = float(os.environ.get("LR", "0.1"))
noise = float(os.environ.get("NOISE", "0"))
if os.environ.get("SLEEP"):
    open("started", "w").write(str(os.getpid()))
    time.sleep(float(os.environ["SLEEP"]))
if os.environ.get("NO_WRITE") == "1":
    print("trained nothing")
    sys.exit(0)

os.makedirs(os.path.join(root, "results"), exist_ok=True)
db = sqlite3.connect(os.path.join(root, "results", "experiments.db"))
db.execute('CREATE TABLE IF NOT EXISTS "default" (track_id TEXT, timestamp TEXT, PRIMARY KEY (track_id, timestamp))')
for t in ("assets", "keys", "counts"):
    db.execute('CREATE TABLE IF NOT EXISTS "%s" (key TEXT PRIMARY KEY, value BLOB)' % t)

def log(row):
    have = {r[1] for r in db.execute('PRAGMA table_info("default")')}
    for k, v in row.items():
        if k not in have:
            kind = "INTEGER" if isinstance(v, (bool, int)) else "REAL" if isinstance(v, float) else "TEXT"
            db.execute('ALTER TABLE "default" ADD COLUMN "%s" %s' % (k, kind))
    cols = ", ".join('"%s"' % k for k in row)
    db.execute('INSERT INTO "default" (%s) VALUES (%s)' % (cols, ", ".join("?" * len(row))), list(row.values()))

rng = random.Random()
track_id = "%s-%s-%04d" % (rng.choice(["brave", "calm", "vivid"]), rng.choice(["otter", "heron", "panda"]), rng.randrange(10000))
params = {"version": version, "lr": lr}
for epoch in range(1, 6):
    f1 = round(0.6 + lr * epoch / 2 - 0.1 * (epoch - 4) ** 2, 6) + (noise * (0.5 + rng.random()) if noise else 0)
    log({"track_id": track_id, "timestamp": datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f"), **params, "epoch": epoch, "f1": f1, "loss": round(1 - f1, 6)})
    db.commit()
db.close()
print("trained", version, track_id)
sys.exit(int(os.environ.get("EXIT", "0")))
`;

/** A repository with train.py committed, cairn initialised, results.db and metrics.primary set. */
export async function trainingRepo(): Promise<TestRepo> {
  const repo = gitRepo({ 'train.py': TRAIN_PY, '.gitignore': 'started\ngot-sigint\n' });
  await cairnOk(['init'], { cwd: repo.dir });
  await cairnOk(['config', 'set', 'results.db', 'results/experiments.db'], { cwd: repo.dir });
  await cairnOk(['config', 'set', 'metrics.primary', 'f1'], { cwd: repo.dir });
  repo.commit('cairn init');
  return repo;
}
