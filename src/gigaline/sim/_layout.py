"""Column layout of the kernel's state arrays.

The kernel keeps its state in a few 2-D numpy arrays instead of objects, so that numba can
compile it; these constants name the columns. They are module globals, which numba freezes as
compile-time constants.
"""

from __future__ import annotations

# ---- step kinds -------------------------------------------------------------------------
KIND_DISCRETE = 0
KIND_BATCH = 1
KIND_DWELL = 2
KIND_CONTINUOUS = 3

# ---- server (underlying) states and reported machine states ------------------------------
WORKING = 0
STARVED = 1
BLOCKED = 2
DOWN = 3
PLANNED = 4
N_STATES = 5

# ---- static step integers: SI[step, col] -------------------------------------------------
SI_KIND = 0
SI_JOB = 1  # cells per job
SI_NMACH = 2
SI_M0 = 3  # first machine index
SI_K = 4  # servers per machine (dwell capacity, else 1)
SI_V0 = 5  # first server index
SI_NV = 6  # servers of the step
SI_DIST = 7  # distribution index of one cycle
SI_MTBF = 8  # distribution index, -1 without failures
SI_MTTR = 9
SI_CALENDAR_FAIL = 10  # 1: failures count calendar time, 0: operating time
SI_EXEMPT = 11  # 1: not stopped by the calendar (dwell holds)
SI_CONS = 12  # consuming step of this step's output buffer, -1 for the last step
SI_BUFCAP = 13  # output buffer capacity in cells
SI_MAIN = 14  # 1 on the main chain
SI_ENTRY = 15  # 1 for the first main-chain step (cells enter the line's main chain here)
SI_NIN = 16  # number of input buffers (0: never starved)
SI_IN0 = 17  # input buffers (producing steps), up to MAX_IN
MAX_IN = 6
SI_FIFO = SI_IN0 + MAX_IN  # 1: jobs end in start order (fixed dwell, no stops): no heap
N_SI = SI_FIFO + 1

# ---- static step floats: SF[step, col] ---------------------------------------------------
SF_MEAN = 0  # mean of one cycle [s]
SF_NCYC = 1  # cycles per job
SF_SCRAP = 2  # scrap probability per cell (1 - yield)
N_SF = 3

# ---- dynamic step integers: ST[step, col] ------------------------------------------------
ST_LEVEL = 0  # cells in the output buffer
ST_STARTED = 1  # cells started
ST_OUT = 2  # cells deposited downstream (good)
ST_SCRAP = 3  # cells scrapped
ST_CONSUMED = 4  # cells of this step's output taken into jobs by the consumer
ST_WIP = 5  # started - scrap - consumed (cells in the step and its output buffer)
ST_INACT = 6  # servers starved, blocked or in planned stop (0: the step is active)
ST_LOADING = 7  # server being loaded, -1 for none
ST_POOL_HEAD = 8
ST_POOL_N = 9
ST_BQ_HEAD = 10
ST_BQ_N = 11
ST_JOBS = 12
ST_DQ_HEAD = 13  # ring of pending ends of a FIFO dwell step
ST_DQ_N = 14
N_ST = 15

# ---- dynamic step floats: STF[step, col] -------------------------------------------------
STF_PSTART = 0  # start of the current active period, -1 when inactive
STF_WIP_AREA = 1  # integral of ST_WIP over time [cell s], brought up to date by _wip_flush
STF_WIP_T = 2  # running sum of (change of ST_WIP) x (time of the change) [cell s]
STF_NEXT_W = 3  # work content of the step's next job, drawn one job ahead [s]
N_STF = 4

# ---- machine integers: MI[machine, col] --------------------------------------------------
MI_STEP = 0
MI_V0 = 1
MI_K = 2
MI_DOWN = 3
MI_PLANNED = 4
MI_NWORK = 5
MI_NSTARVED = 6
MI_NBLOCKED = 7
MI_FPEND = 8  # an operating-time failure event (k > 1: a check of the clock) is in the heap
MI_FSUSP = 9  # k = 1: that failure is suspended while the machine is stopped
MI_FAILS = 10  # failures so far
MI_FWAIT = 11  # k > 1: no check pending; the clock waits for a place to work (or a resume)
MI_CLOCK = 12  # its operating-time failure clock, set once per run (gigaline.sim.state):
N_MI = 13
CLOCK_NONE = 0  # no failures, or failures on calendar time
CLOCK_ONE = 1  # operating time, one server (k = 1)
CLOCK_PLACES = 2  # operating time, several places (a dwell machine, k > 1)

# ---- machine floats: MF[machine, col] ----------------------------------------------------
MF_TTF = 0  # k = 1: operating time left to the next failure, jobs started so far charged [s]
MF_STOPCUM = 1  # total stopped time (down or planned) up to MF_STOPSTART [s]
MF_STOPSTART = 2  # start of the current stop
MF_LAST = 3  # last accounting of stopped time (down, planned stop)
MF_FSNAP = 4  # MF_STOPCUM when the failure event was scheduled
MF_FREM = 5  # remaining delay of a suspended failure
MF_T0 = 6  # running sums of server entries minus exits x time, per running state (+ state)
MF_FCARRY = MF_T0 + 3  # k = 1: work beyond the pending failure, charged after the repair [s]
MF_FTARGET = MF_T0 + 4  # k > 1: worked place-seconds at which the machine fails [s]
N_MF = MF_T0 + 5

# ---- server integers: VI[server, col] ----------------------------------------------------
VI_MACH = 0
VI_STATE = 1  # WORKING, STARVED or BLOCKED
VI_REM = 2  # cells still to deposit while blocked
VI_SUSP = 3  # 1: job suspended while its machine is stopped
VI_PARKED = 4  # 1: idle and parked, 2: blocked and parked (machine stopped)
VI_JOB = 5  # cells in the current job
VI_STEP = 6  # the step (a copy of its machine's MI_STEP, one load nearer the event)
VI_LOAD0 = 7  # cells loaded from each input
N_VI = VI_LOAD0 + MAX_IN

# ---- server floats: VF[server, col] ------------------------------------------------------
VF_SNAP = 0  # MF_STOPCUM of its machine when the end event was scheduled
VF_SREM = 1  # remaining work of a suspended job
N_VF = 2

# ---- events: code = id * 8 + kind ----------------------------------------------------------
EV_END = 0
EV_FAIL = 1
EV_REPAIR = 2
EV_PLAN = 3
EV_HOUR = 4
EV_DWELL = 5  # id = step: the earliest pending end of a FIFO dwell step

# ---- global integers G[col] --------------------------------------------------------------
G_HN = 0  # events in the heap
G_SEQ = 1  # event sequence number (ties: first scheduled, first served)
G_PLAN_I = 2  # next planned-stop boundary index (even: start, odd: end)
G_IN_PLAN = 3
G_GMIN_STEP = 4  # step with the earliest open active period, -1 for none
G_PER_N = 5  # recorded active periods
G_N_IN = 6  # cells entered into the main chain
G_N_OUT = 7  # cells left the main chain (good out of the last step, or scrapped)
G_LT_STRIDE = 8  # every LT_STRIDE-th cell is timed for lead times
G_LT_IN_N = 9
G_LT_OUT_N = 10
G_WL_N = 11  # work-list length
G_HOUR = 12  # next hour index
G_EVENTS = 13  # events processed
G_GOOD = 14  # good cells out of the last step
G_PER_LOST = 15  # active periods dropped because the record was full
G_DIRTY_N = 16  # steps whose activity may have changed in this event
G_SORTED = 17  # 1: events in a sorted array, 0: in a binary heap (see kernel._push)
SORTED_BASE = 8  # the sorted array starts here, after sentinels due at +inf
G_TR_ON = 18  # 1: the kernel writes its trace (gigaline.sim.trace), 0: it writes nothing
G_TR_N = 19  # trace records written since the last drain
G_TR_DRAIN = 20  # run_until returns early (1) once this many records wait to be drained
G_TR_LOST = 21  # records dropped because the trace buffer was full (never, by construction)
N_G = 22

# ---- global floats GF[col] ---------------------------------------------------------------
GF_NOW = 0
GF_GMIN = 1
N_GF = 2

# ---- distributions ---------------------------------------------------------------------
D_FIXED = 0
D_EXPONENTIAL = 1
D_NORMAL = 2
D_LOGNORMAL = 3
D_GAMMA = 4
D_WEIBULL = 5
D_UNIFORM = 6
D_TRIANGULAR = 7
D_EMPIRICAL = 8

# ---- trace records: TRT[row] = time, TRI[row * N_TR + col] ---------------------------------
#
# Units are numbered per step: a step's n-th started cell (ST_STARTED), the n-th cell it passes
# on (ST_OUT) and the n-th cell its consumer takes from its output buffer (ST_CONSUMED, first
# in, first out) each have index n - 1. A record carries the counter before the change, so the
# ids of its cells are [TR_ID, TR_ID + TR_N).
TR_KIND = 0
TR_STEP = 1
TR_WHO = 2  # server (jobs, server states) or machine (machine stops)
TR_N = 3
TR_ID = 4
TR_X = 5
N_TR = 6
TR_START = 0  # step, server, cells, first started index, machine
TR_TAKE = 1  # input step, server, cells, first consumed index of that input, consuming step
TR_END = 2  # step, server, good cells, -1, scrapped cells (job end: scrap drawn)
TR_DEPOSIT = 3  # step, server, cells, first output index, 0 (into the buffer or the sink)
TR_SERVER = 4  # step, server, 0, 0, new running state (WORKING, STARVED, BLOCKED)
TR_MACHINE = 5  # step, machine, down flag, planned flag, cause (CAUSE_*)
CAUSE_FAILURE = 0
CAUSE_REPAIR = 1
CAUSE_PLAN_START = 2
CAUSE_PLAN_END = 3

# ---- work list operations --------------------------------------------------------------
WL_START = 0
WL_UNBLOCK = 1
