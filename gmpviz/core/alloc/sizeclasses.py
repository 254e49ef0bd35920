"""Size classes, generated with Go's own algorithm (`runtime/_mkmalloc/mksizeclasses.go: makeClasses`).

The tables have the runtime's names (`internal/runtime/gc/sizeclasses.go`): ``CLASS_TO_SIZE``,
``CLASS_TO_ALLOCNPAGES``, ``CLASS_TO_DIVMAGIC``, ``SIZE_TO_CLASS8``, ``SIZE_TO_CLASS128``. Class 0 is
the dummy entry that stands for "large object".
"""

from __future__ import annotations

from gmpviz.core.constants import (
    LARGE_SIZE_DIV,
    MAX_SMALL_SIZE,
    NUM_SIZE_CLASSES,
    PAGE_SHIFT,
    PAGE_SIZE,
    SMALL_SIZE_DIV,
    SMALL_SIZE_MAX,
)

# mksizeclasses.go: makeClasses bumps the alignment at powers of two
_ALIGN_256_FROM = 2048  # sizes >= 2048: 256-byte alignment
_ALIGN_EIGHTH_FROM = 128  # sizes >= 128: size/8 alignment
_ALIGN_16_FROM = 32  # sizes >= 32: 16-byte alignment (heap bitmaps assume it)
_MAX_TAIL_WASTE_DIV = 8  # leftover at the end of a span must be <= 1/8 of it (12.5 %)


def _power_of_two(x: int) -> bool:
    return x != 0 and x & (x - 1) == 0


def make_classes() -> list[tuple[int, int]]:
    """mksizeclasses.go: makeClasses -> [(size_bytes, npages)], index = size class, entry 0 a dummy."""
    classes: list[list[int]] = [[0, 0]]
    align = 8
    size = align
    while size <= MAX_SMALL_SIZE:
        if _power_of_two(size):
            if size >= _ALIGN_256_FROM:
                align = 256
            elif size >= _ALIGN_EIGHTH_FROM:
                align = size // 8
            elif size >= _ALIGN_16_FROM:
                align = 16
        allocsize = PAGE_SIZE
        while allocsize % size > allocsize // _MAX_TAIL_WASTE_DIV:
            allocsize += PAGE_SIZE
        npages = allocsize // PAGE_SIZE
        prev = classes[-1]
        # same span size and same object count as the previous class: widen that class instead
        if len(classes) > 1 and npages == prev[1] and allocsize // size == allocsize // prev[0]:
            prev[0] = size
        else:
            classes.append([size, npages])
        size += align
    # grow object sizes while the same number still fits the same pages (keep 128-byte alignment)
    for c in classes[1:]:
        span_bytes = c[1] * PAGE_SIZE
        new_size = (span_bytes // (span_bytes // c[0])) & ~(LARGE_SIZE_DIV - 1)
        if new_size > c[0]:
            c[0] = new_size
    if len(classes) != NUM_SIZE_CLASSES:
        raise AssertionError("number of size classes has changed")
    return [(s, n) for s, n in classes]


_CLASSES = make_classes()
CLASS_TO_SIZE: tuple[int, ...] = tuple(s for s, _ in _CLASSES)
CLASS_TO_ALLOCNPAGES: tuple[int, ...] = tuple(n for _, n in _CLASSES)
#: sizeclasses.go: class_to_divmagic = ^uint32(0)/size + 1 (n/size == n*magic >> 32 within a span)
CLASS_TO_DIVMAGIC: tuple[int, ...] = tuple(0 if s == 0 else 0xFFFFFFFF // s + 1 for s in CLASS_TO_SIZE)


def _size_to_class_table(first: int, step: int, n: int) -> tuple[int, ...]:
    """mksizeclasses.go: printClasses, smallest class whose size >= first + i*step."""
    out = []
    for i in range(n):
        size = first + i * step
        out.append(next(j for j, s in enumerate(CLASS_TO_SIZE) if s >= size))
    return tuple(out)


SIZE_TO_CLASS8: tuple[int, ...] = _size_to_class_table(
    0, SMALL_SIZE_DIV, SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1
)
SIZE_TO_CLASS128: tuple[int, ...] = _size_to_class_table(
    SMALL_SIZE_MAX, LARGE_SIZE_DIV, (MAX_SMALL_SIZE - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1
)


def size_to_class(size_bytes: int) -> int:
    """malloc.go: the class lookup of mallocgcSmall* (size_bytes in 1..MAX_SMALL_SIZE)."""
    if size_bytes <= SMALL_SIZE_MAX - 8:
        return SIZE_TO_CLASS8[(size_bytes + SMALL_SIZE_DIV - 1) // SMALL_SIZE_DIV]
    return SIZE_TO_CLASS128[(size_bytes - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) // LARGE_SIZE_DIV]


def roundupsize(size_bytes: int) -> int:
    """msize.go: roundupsize, the block size mallocgc hands out for a request (no header)."""
    if size_bytes <= MAX_SMALL_SIZE:
        return CLASS_TO_SIZE[size_to_class(size_bytes)]
    return -(-size_bytes // PAGE_SIZE) * PAGE_SIZE


def class_rows() -> list[tuple[int, int, int, int, int, float, int]]:
    """mksizeclasses.go: printComment rows (class, bytes/obj, bytes/span, objects, tail waste,
    max waste %, min align)."""
    rows = []
    prev = 0
    for c in range(1, NUM_SIZE_CLASSES):
        size = CLASS_TO_SIZE[c]
        span = CLASS_TO_ALLOCNPAGES[c] * PAGE_SIZE
        objects = span // size
        tail = span - size * objects
        max_waste = ((size - prev - 1) * objects + tail) / span
        align_bits = min((size & -size).bit_length() - 1, PAGE_SHIFT)
        rows.append((c, size, span, objects, tail, 100 * max_waste, 1 << align_bits))
        prev = size
    return rows


def alignment_rows() -> list[tuple[int, int, int]]:
    """mksizeclasses.go: printComment's alignment table (alignment, bits, min obj size): from which
    object size on every class guarantees that power-of-two alignment."""
    min_aligns = [0] * (PAGE_SHIFT + 1)
    for _c, size, _span, _objects, _tail, _waste, align in class_rows():
        align_bits = align.bit_length() - 1
        for i in range(len(min_aligns)):
            if i > align_bits:
                min_aligns[i] = 0
            elif min_aligns[i] == 0:
                min_aligns[i] = size
    out = []
    for bits, size in enumerate(min_aligns):
        if size == 0:
            break
        if bits + 1 < len(min_aligns) and size == min_aligns[bits + 1]:
            continue
        out.append((1 << bits, bits, size))
    return out


def format_sizeclasses_table() -> str:
    """The header comment of Go's sizeclasses.go: one line per class, same columns and format."""
    lines = [
        f"// {'class':<5}  {'bytes/obj':<9}  {'bytes/span':<10}  {'objects':<7}  {'tail waste':<10}  "
        f"{'max waste':<9}  {'min align':<9}"
    ]
    for c, size, span, objects, tail, waste, align in class_rows():
        lines.append(f"// {c:5d}  {size:9d}  {span:10d}  {objects:7d}  {tail:10d}  {waste:8.2f}%  {align:9d}")
    lines.append("")
    lines.append(f"// {'alignment':<9}  {'bits':<4}  {'min obj size':<12}")
    for align, bits, size in alignment_rows():
        lines.append(f"// {align:9d}  {bits:4d}  {size:12d}")
    return "\n".join(lines) + "\n"
