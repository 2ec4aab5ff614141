/* gearwork.core._speedups: the compiled accelerator of gearwork-core's hot path.
 *
 * Optional, like asyncio's _asyncio: gearwork/core/_task.py uses it when it
 * imports, and its pure-Python code otherwise (or when GEARWORK_PURE_PYTHON is
 * set). It holds two base classes and nothing else:
 *
 *   _TaskCore     the fields of a Task that every resumption touches, as C
 *                 members; Task.step() in C; and _begin(), the first step that
 *                 start() and start_each() inline in pure Python. The fast path
 *                 (send, register the next suspension, or finish and tell the
 *                 supervisor) runs here; everything unusual (a nested or
 *                 instrumented resumption, an error, a pending cancellation,
 *                 done callbacks) is handed to the Task's own Python methods
 *                 _deep_step/_deep_begin, _step_failed/_begin_failed,
 *                 _step_cancel, _step_hooks and _step_report, exactly where the
 *                 pure-Python code does it.
 *   _RuntimeCore  the fields of the per-thread runtime (depth, queue,
 *                 thread_name), read and written directly by the step.
 *
 * The step sends with PyIter_Send, which reports a coroutine's return without
 * creating a StopIteration: that exception is most of what ending a task costs
 * in pure Python.
 *
 * The Python classes Task and _Runtime (in _task.py) derive from these and keep
 * every other field and method; Python code reads and writes the fields here as
 * ordinary attributes (_st, _coro, _rt, ...), so the rest of gearwork does not
 * know which implementation runs.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* The internal states of _task.py; keep in step with it (its tests compare them).
 * _st holds a Python int, as in pure Python: CPython's specialised attribute access
 * (LOAD_ATTR_SLOT) works only for object members, and _task.py reads and writes _st
 * everywhere. The states are small ints, which CPython keeps one object of each: the
 * step compares identities, then values, and stores the shared objects. */
#define ST_CREATED 0
#define ST_RUNNING 1
#define ST_SUSPENDED 2
#define ST_FINISHED 4

static PyObject *st_running;   /* the int objects 1, 2 and 4 */
static PyObject *st_suspended;
static PyObject *st_finished;

/* Whether the state *st* (an int object, or NULL) is *which*. */
static inline int
st_is(PyObject *st, PyObject *which)
{
    if (st == which) {
        return 1;
    }
    if (st == NULL || !PyLong_CheckExact(st)) {
        return 0;
    }
    int overflow;
    return PyLong_AsLongAndOverflow(st, &overflow) == PyLong_AsLong(which) && !overflow;
}

static inline void
set_st(PyObject **slot, PyObject *which)
{
    Py_XSETREF(*slot, Py_NewRef(which));
}

/* From this depth on, step() leaves its inlined send to Task._run, as _task.py's
 * _inline_below says; _set_inline_below() is called whenever that changes. */
static Py_ssize_t inline_below = 31;

static PyObject *str_deep_step;
static PyObject *str_deep_begin;
static PyObject *str_begin_failed;
static PyObject *str_step_failed;
static PyObject *str_step_cancel;
static PyObject *str_step_hooks;
static PyObject *str_step_report;
static PyObject *str_shield;

/* ---------------------------------------------------------------- _RuntimeCore */

/* depth holds a Python int, as _st does, for the same reason: _task.py reads and
 * writes it on every start. Depths are small ints (at most RESUME_DEPTH_LIMIT), so
 * setting one allocates nothing. */
typedef struct {
    PyObject_HEAD
    PyObject *depth;
    PyObject *queue;
    PyObject *thread_name;
} RuntimeCore;

/* The depth of *rt*, or -1 with an exception set. */
static inline Py_ssize_t
get_depth(RuntimeCore *rt)
{
    if (rt->depth == NULL || !PyLong_CheckExact(rt->depth)) {
        PyErr_SetString(PyExc_SystemError, "gearwork: a runtime's depth is not an int");
        return -1;
    }
    return PyLong_AsSsize_t(rt->depth);
}

/* The int objects 0 .. MAX_INLINE: the depths the fast path sets. */
#define MAX_INLINE 64
static PyObject *depth_ints[MAX_INLINE + 1];

/* Set the depth of *rt* to *depth*, which is at most MAX_INLINE (set_inline_below
 * keeps inline_below below it, and the fast path runs below inline_below only). */
static inline void
set_depth(RuntimeCore *rt, Py_ssize_t depth)
{
    Py_XSETREF(rt->depth, Py_NewRef(depth_ints[depth]));
}

static int
runtime_traverse(RuntimeCore *self, visitproc visit, void *arg)
{
    Py_VISIT(self->depth);
    Py_VISIT(self->queue);
    Py_VISIT(self->thread_name);
    return 0;
}

static int
runtime_clear(RuntimeCore *self)
{
    Py_CLEAR(self->depth);
    Py_CLEAR(self->queue);
    Py_CLEAR(self->thread_name);
    return 0;
}

static void
runtime_dealloc(RuntimeCore *self)
{
    PyObject_GC_UnTrack(self);
    runtime_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef runtime_members[] = {
    {"depth", T_OBJECT_EX, offsetof(RuntimeCore, depth), 0,
     "How many resumptions are nested on this thread's stack right now."},
    {"queue", T_OBJECT_EX, offsetof(RuntimeCore, queue), 0,
     "The resumptions queued past the depth limit."},
    {"thread_name", T_OBJECT_EX, offsetof(RuntimeCore, thread_name), 0,
     "The name of the thread this runtime belongs to."},
    {NULL},
};

static PyTypeObject RuntimeCore_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gearwork.core._speedups._RuntimeCore",
    .tp_doc = "The fields of a thread's runtime, for the compiled Task.step().",
    .tp_basicsize = sizeof(RuntimeCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_traverse = (traverseproc)runtime_traverse,
    .tp_clear = (inquiry)runtime_clear,
    .tp_dealloc = (destructor)runtime_dealloc,
    .tp_members = runtime_members,
};

/* ------------------------------------------------------------------- _TaskCore */

typedef struct {
    PyObject_HEAD
    PyObject *st;
    PyObject *coro;
    PyObject *rt;
    PyObject *result;
    PyObject *exc;
    PyObject *cancel_req;
    PyObject *extras;
    PyObject *sup;
} TaskCore;

static int
task_traverse(TaskCore *self, visitproc visit, void *arg)
{
    Py_VISIT(self->st);
    Py_VISIT(self->coro);
    Py_VISIT(self->rt);
    Py_VISIT(self->result);
    Py_VISIT(self->exc);
    Py_VISIT(self->cancel_req);
    Py_VISIT(self->extras);
    Py_VISIT(self->sup);
    return 0;
}

static int
task_clear(TaskCore *self)
{
    Py_CLEAR(self->st);
    Py_CLEAR(self->coro);
    Py_CLEAR(self->rt);
    Py_CLEAR(self->result);
    Py_CLEAR(self->exc);
    Py_CLEAR(self->cancel_req);
    Py_CLEAR(self->extras);
    Py_CLEAR(self->sup);
    return 0;
}

static void
task_dealloc(TaskCore *self)
{
    PyObject_GC_UnTrack(self);
    task_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The exception being raised, normalised, with its traceback attached; the error
 * indicator is cleared. Never NULL when an exception is set. */
static PyObject *
take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
        Py_DECREF(tb);
    }
    Py_XDECREF(type);
    return value;
#endif
}

/* Call the task's Python method *name* with *arg* (or none), returning None or NULL. */
static PyObject *
hand_over(TaskCore *self, PyObject *name, PyObject *arg)
{
    PyObject *r;
    if (arg == NULL) {
        r = PyObject_CallMethodNoArgs((PyObject *)self, name);
    }
    else {
        r = PyObject_CallMethodOneArg((PyObject *)self, name, arg);
    }
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    Py_RETURN_NONE;
}

/* The resumption value (args, kwargs) of a vectorcall. */
static PyObject *
resumption(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *positional = PyTuple_New(nargs);
    if (positional == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(positional, i, args[i]);
    }
    PyObject *keywords = PyDict_New();
    if (keywords == NULL) {
        Py_DECREF(positional);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyDict_SetItem(keywords, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
            Py_DECREF(positional);
            Py_DECREF(keywords);
            return NULL;
        }
    }
    PyObject *value = PyTuple_New(2);
    if (value == NULL) {
        Py_DECREF(positional);
        Py_DECREF(keywords);
        return NULL;
    }
    PyTuple_SET_ITEM(value, 0, positional);
    PyTuple_SET_ITEM(value, 1, keywords);
    return value;
}

/* Whether a cancellation is pending that the step must deliver now: requested, the
 * task still suspended, and no disable_cancellation() in force. -1 on error. */
static int
cancel_due(TaskCore *self)
{
    if (self->cancel_req == NULL || self->cancel_req == Py_None
        || !st_is(self->st, st_suspended)) {
        return 0;
    }
    if (self->extras == NULL || self->extras == Py_None) {
        return 1;
    }
    PyObject *shield = PyObject_GetAttr(self->extras, str_shield);
    if (shield == NULL) {
        return -1;
    }
    int shielded = PyObject_IsTrue(shield);
    Py_DECREF(shield);
    return shielded < 0 ? -1 : !shielded;
}

/* The task's coroutine returned *value* (a new reference, stolen). */
static PyObject *
task_returned(TaskCore *self, PyObject *value)
{
    if (!st_is(self->st, st_running)) {
        /* A nested resumption changed the state: the pure-Python step gives such an
         * ending to _after_error, as a StopIteration; so does this one. */
        PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, value);
        Py_DECREF(value);
        if (stop == NULL) {
            return NULL;
        }
        PyObject *r = hand_over(self, str_step_failed, stop);
        Py_DECREF(stop);
        return r;
    }
    set_st(&self->st, st_finished);
    Py_XSETREF(self->result, value);
    Py_XSETREF(self->exc, Py_NewRef(Py_None));
    if (self->extras != NULL && self->extras != Py_None) {
        return hand_over(self, str_step_hooks, NULL);
    }
    PyObject *supervisor = self->sup;
    if (supervisor == NULL || supervisor == Py_None) {
        Py_RETURN_NONE;
    }
    /* A child task's ending: drop the supervisor, then tell it. */
    self->sup = Py_NewRef(Py_None);
    PyObject *r = PyObject_CallOneArg(supervisor, (PyObject *)self);
    Py_DECREF(supervisor);
    if (r != NULL) {
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    /* A bug in the supervisor: reported like the task's own error. */
    PyObject *error = take_exception();
    r = hand_over(self, str_step_report, error);
    Py_DECREF(error);
    return r;
}

PyDoc_STRVAR(task_step_doc,
"step($self, /, *args, **kwargs)\n"
"--\n"
"\n"
"Resume the suspended task; its ``await`` evaluates to ``(args, kwargs)``.\n"
"\n"
"The task runs until its next suspension before ``step`` returns. If\n"
"the task is not suspended (not started, running, or ended) nothing\n"
"happens, so a stale wake-up is harmless. Call it from the thread that\n"
"started the task; debug mode (:func:`gearwork.core.set_debug`) checks.");

/* An error of the send or of the registrar: to _step_failed(error), or for a first
 * step to _begin_failed(error, who), which first refuses a coroutine Python would not
 * run. Steals nothing; returns None or NULL. */
static PyObject *
failed(TaskCore *self, PyObject *error, PyObject *who)
{
    if (who == NULL) {
        return hand_over(self, str_step_failed, error);
    }
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, str_begin_failed, error, who, NULL);
    if (r == NULL) {
        return NULL;
    }
    Py_DECREF(r);
    Py_RETURN_NONE;
}

/* Send *value* (stolen) into the task, register its next suspension or finish it:
 * the body of step() and, with *who* (the caller's name, for errors) and None as the
 * value, of a task's first step. The task must be suspended, or about to start. */
static PyObject *
drive(TaskCore *self, PyObject *value, PyObject *who)
{
    PyObject *rt_obj = self->rt;
    if (rt_obj == NULL || !PyObject_TypeCheck(rt_obj, &RuntimeCore_Type)) {
        PyErr_Format(PyExc_SystemError, "gearwork: %R has no runtime", (PyObject *)self);
        Py_DECREF(value);
        return NULL;
    }
    RuntimeCore *rt = (RuntimeCore *)rt_obj;
    Py_ssize_t depth = get_depth(rt);
    if (depth < 0) {
        Py_DECREF(value);
        return NULL;
    }
    if (depth >= inline_below) {
        /* Nested deep, or an instrument is set: Task._run does it (or the queue). */
        PyObject *r = who == NULL ? hand_over(self, str_deep_step, value)
                                  : hand_over(self, str_deep_begin, NULL);
        Py_DECREF(value);
        return r;
    }
    /* The common case: send, then register the next suspension. The task and its
     * runtime stay alive through the send: the caller holds the task, the task its
     * runtime (and nothing resets _rt of a started task). */
    set_depth(rt, depth + 1);
    Py_INCREF(rt_obj);
    set_st(&self->st, st_running);
    PyObject *coro = Py_NewRef(self->coro);
    PyObject *yielded = NULL;
    PySendResult how = PyIter_Send(coro, value, &yielded);
    Py_DECREF(coro);
    Py_DECREF(value);
    PyObject *result;
    if (how == PYGEN_NEXT) {
        set_st(&self->st, st_suspended);
        PyObject *r = PyObject_CallOneArg(yielded, (PyObject *)self);
        Py_DECREF(yielded);
        if (r == NULL) {
            /* The registrar raised (or what was yielded is not one). */
            PyObject *error = take_exception();
            set_depth(rt, depth);
            result = failed(self, error, who);
            Py_DECREF(error);
        }
        else {
            Py_DECREF(r);
            set_depth(rt, depth);
            int due = cancel_due(self);
            if (due < 0) {
                result = NULL;
            }
            else if (due) {
                result = hand_over(self, str_step_cancel, NULL);
            }
            else {
                result = Py_NewRef(Py_None);
            }
        }
    }
    else if (how == PYGEN_RETURN) {
        set_depth(rt, depth);
        result = task_returned(self, yielded);
    }
    else {
        PyObject *error = take_exception();
        set_depth(rt, depth);
        result = failed(self, error, who);
        Py_DECREF(error);
    }
    Py_DECREF(rt_obj);
    return result;
}

static PyObject *
task_step(TaskCore *self, PyObject *const *args, Py_ssize_t nargsf, PyObject *kwnames)
{
    if (!st_is(self->st, st_suspended)) {
        Py_RETURN_NONE;
    }
    PyObject *value = resumption(args, PyVectorcall_NARGS(nargsf), kwnames);
    if (value == NULL) {
        return NULL;
    }
    return drive(self, value, NULL);
}

PyDoc_STRVAR(task_begin_doc,
"_begin($self, who, /)\n"
"--\n"
"\n"
"The first step of a task that start() or start_each() (named *who*) has checked\n"
"and bound to its runtime; the compiled form of their inlined first step.");

static PyObject *
task_begin(TaskCore *self, PyObject *who)
{
    return drive(self, Py_NewRef(Py_None), who);
}

static PyMethodDef task_methods[] = {
    {"step", (PyCFunction)(void (*)(void))task_step, METH_FASTCALL | METH_KEYWORDS, task_step_doc},
    {"_begin", (PyCFunction)task_begin, METH_O, task_begin_doc},
    {NULL},
};

static PyMemberDef task_members[] = {
    {"_st", T_OBJECT_EX, offsetof(TaskCore, st), 0, NULL},
    {"_coro", T_OBJECT_EX, offsetof(TaskCore, coro), 0, NULL},
    {"_rt", T_OBJECT_EX, offsetof(TaskCore, rt), 0, NULL},
    {"_result", T_OBJECT_EX, offsetof(TaskCore, result), 0, NULL},
    {"_exc", T_OBJECT_EX, offsetof(TaskCore, exc), 0, NULL},
    {"_cancel_req", T_OBJECT_EX, offsetof(TaskCore, cancel_req), 0, NULL},
    {"_extras", T_OBJECT_EX, offsetof(TaskCore, extras), 0, NULL},
    {"_sup", T_OBJECT_EX, offsetof(TaskCore, sup), 0, NULL},
    {NULL},
};

static PyTypeObject TaskCore_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gearwork.core._speedups._TaskCore",
    .tp_doc = "The fields and the step() of a Task, compiled.",
    .tp_basicsize = sizeof(TaskCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_traverse = (traverseproc)task_traverse,
    .tp_clear = (inquiry)task_clear,
    .tp_dealloc = (destructor)task_dealloc,
    .tp_methods = task_methods,
    .tp_members = task_members,
};

/* ---------------------------------------------------------------------- module */

static PyObject *
set_inline_below(PyObject *module, PyObject *arg)
{
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0 || n >= MAX_INLINE) {
        PyErr_Format(PyExc_ValueError, "_set_inline_below() needs 0 <= depth < %d, got %zd",
                     MAX_INLINE, n);
        return NULL;
    }
    inline_below = n;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"_set_inline_below", set_inline_below, METH_O,
     "Set the depth from which step() hands its send to Task._run."},
    {NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gearwork.core._speedups",
    .m_doc = "The compiled accelerator of gearwork-core's hot path (see _task.py).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&RuntimeCore_Type) < 0 || PyType_Ready(&TaskCore_Type) < 0) {
        return NULL;
    }
    if ((str_deep_step = PyUnicode_InternFromString("_deep_step")) == NULL
        || (str_deep_begin = PyUnicode_InternFromString("_deep_begin")) == NULL
        || (str_begin_failed = PyUnicode_InternFromString("_begin_failed")) == NULL
        || (str_step_failed = PyUnicode_InternFromString("_step_failed")) == NULL
        || (str_step_cancel = PyUnicode_InternFromString("_step_cancel")) == NULL
        || (str_step_hooks = PyUnicode_InternFromString("_step_hooks")) == NULL
        || (str_step_report = PyUnicode_InternFromString("_step_report")) == NULL
        || (str_shield = PyUnicode_InternFromString("shield")) == NULL
        || (st_running = PyLong_FromLong(ST_RUNNING)) == NULL
        || (st_suspended = PyLong_FromLong(ST_SUSPENDED)) == NULL
        || (st_finished = PyLong_FromLong(ST_FINISHED)) == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i <= MAX_INLINE; i++) {
        if ((depth_ints[i] = PyLong_FromSsize_t(i)) == NULL) {
            return NULL;
        }
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "_TaskCore", (PyObject *)&TaskCore_Type) < 0
        || PyModule_AddObjectRef(module, "_RuntimeCore", (PyObject *)&RuntimeCore_Type) < 0
        || PyModule_AddIntConstant(module, "ST_CREATED", ST_CREATED) < 0
        || PyModule_AddIntConstant(module, "ST_RUNNING", ST_RUNNING) < 0
        || PyModule_AddIntConstant(module, "ST_SUSPENDED", ST_SUSPENDED) < 0
        || PyModule_AddIntConstant(module, "ST_FINISHED", ST_FINISHED) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
