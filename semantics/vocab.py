"""Names the scenario contract accepts, independent of any kernel variant.

Kernel-specific facts (which hooks, map types, program types exist in a given
version) live in data/kernels/facts-*.json; this module holds only what the
contract itself fixes: errno spellings, namespaces, operations and their
fields, LSM names.
"""
from __future__ import annotations

# errno values from include/uapi/asm-generic/errno-base.h / errno.h and
# include/linux/errno.h (ENOTSUPP, ENOPARAM are kernel-internal).
ERRNO = {
    "EPERM": 1, "ENOENT": 2, "EINTR": 4, "EIO": 5, "E2BIG": 7, "EBADF": 9,
    "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14, "EBUSY": 16,
    "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "EINVAL": 22, "ENOSPC": 28,
    "ENOSYS": 38, "ENODATA": 61, "ENOPROTOOPT": 92, "EOPNOTSUPP": 95,
    "ENOTSUPP": 524, "ENOPARAM": 519,
}
ERRNO_NAME = {v: k for k, v in ERRNO.items()}

NAMESPACES = ("init", "child")            # where a task can run
NS_TARGETS = ("init", "child", "sibling")  # what ns_capable() may be asked about

# Modules that may appear in a scenario's "lsm" stack.  "capability"
# (commoncap) is implicit and always first (DEFINE_LSM(capability) has
# .order = LSM_ORDER_FIRST, security/commoncap.c).
LSM_NAMES = (
    "bpf", "selinux", "apparmor", "smack", "tomoyo", "yama", "landlock",
    "lockdown", "loadpin", "safesetid", "integrity", "ima", "evm", "ipe",
)

TOP_FIELDS = ("id", "kernel", "task", "sysctl", "lsm", "token", "op", "description")
TASK_FIELDS = ("userns", "uid", "caps", "owns_child_userns")
LSM_FIELDS = ("name", "returns")
TOKEN_FIELDS = ("userns", "delegate_cmds", "delegate_maps", "delegate_progs", "delegate_attachs")
DELEGATE_KINDS = ("delegate_cmds", "delegate_maps", "delegate_progs", "delegate_attachs")
SYSCTLS = ("kernel.unprivileged_bpf_disabled",)

OP_FIELDS = {
    # btf_fields: the special fields of the map value's BTF type (BPF_MAP_CREATE: the value type
    # passed; BPF_MAP_FREEZE: the map's); fd_flags, frozen, write_active: BPF_MAP_FREEZE's fd
    # (BPF_F_RDONLY/BPF_F_WRONLY from BPF_OBJ_GET's file_flags or BPF_MAP_GET_FD_BY_ID's
    # open_flags), whether the map is already frozen, whether it has writable mmaps
    "bpf": ("cmd", "map_type", "map_flags", "prog_type", "attach_type", "with_token",
            "btf_fields", "fd_flags", "frozen", "write_active"),
    "capable": ("cap",),
    "ns_capable": ("cap", "ns"),
    "vm_enough_memory": ("overcommit_memory", "fits"),
    "sysctl_write": ("name", "value"),
    "bpffs_set_option": ("option", "value"),
    "bpffs_create": ("userns",),
    # create_user_ns() kernel/user_namespace.c (unshare(CLONE_NEWUSER), clone(CLONE_NEWUSER)):
    # what the creating task's situation adds to its credentials; each is optional
    "userns_create": ("parent_level", "ns_limit_reached", "chrooted", "creator_mapped"),
    # security_HOOK() for a hook whose security/security.c wrapper is only `return
    # call_int_hook(HOOK, ...)` (the facts files' "plain_dispatch"; private_inode: the inode is(HOOK, ...)` (the facts files' "plain_dispatch"; private_inode: the inode is
    # filesystem-private, IS_PRIVATE(), which the wrappers with that guard answer 0 for unasked)
    "lsm_hook": ("hook", "private_inode"),
}
BPF_CMDS_MODELED = (
    "BPF_MAP_CREATE", "BPF_PROG_LOAD", "BPF_BTF_LOAD", "BPF_MAP_FREEZE",
    "BPF_PROG_ATTACH", "BPF_TOKEN_CREATE",
)
FITS = ("always", "with_admin_reserve", "never")

# Special fields of a BTF value type that btf_parse_fields() kernel/bpf/btf.c looks for (struct
# names, or for kptr the type tag of a pointer to a struct: "kptr"/"kptr_ref" in 6.3,
# "kptr_untrusted"/"kptr" in 6.9). Which ones a kernel parses is its group btf_record_fields.
BTF_FIELDS = ("bpf_spin_lock", "bpf_timer", "kptr", "bpf_list_head", "bpf_rb_root", "bpf_refcount")
FD_FLAGS = ("BPF_F_RDONLY", "BPF_F_WRONLY")

# map_flags the model knows (include/uapi/linux/bpf.h); only some have
# permission checks of their own, the rest are accepted and have no effect.
MAP_FLAGS = (
    "BPF_F_NO_PREALLOC", "BPF_F_NO_COMMON_LRU", "BPF_F_NUMA_NODE", "BPF_F_RDONLY",
    "BPF_F_WRONLY", "BPF_F_STACK_BUILD_ID", "BPF_F_ZERO_SEED", "BPF_F_RDONLY_PROG",
    "BPF_F_WRONLY_PROG", "BPF_F_CLONE", "BPF_F_MMAPABLE", "BPF_F_PRESERVE_ELEMS",
    "BPF_F_INNER_MAP", "BPF_F_LINK", "BPF_F_PATH_FD", "BPF_F_VTYPE_BTF_OBJ_FD",
    "BPF_F_TOKEN_FD", "BPF_F_SEGV_ON_FAULT", "BPF_F_NO_USER_CONV",
)
