package capture

// lruMap is a map whose entries are also kept on a recency list, so the
// oldest entry can be found and evicted in O(1). Entries are recycled through
// a free list; a recycled entry keeps its old val so slices in it keep their
// capacity, and callers must reinitialise val after insert.
//
// The list runs from root.next (newest) to root.prev (oldest). The map must
// not be copied after init.
type lruMap[K comparable, V any] struct {
	m    map[K]*lruEntry[K, V]
	root lruEntry[K, V]
	free *lruEntry[K, V]
}

type lruEntry[K comparable, V any] struct {
	key        K
	val        V
	prev, next *lruEntry[K, V] // prev is newer, next is older
}

func (l *lruMap[K, V]) init() {
	l.m = make(map[K]*lruEntry[K, V])
	l.root.next = &l.root
	l.root.prev = &l.root
}

func (l *lruMap[K, V]) len() int { return len(l.m) }

// get looks k up without changing recency.
func (l *lruMap[K, V]) get(k K) *lruEntry[K, V] { return l.m[k] }

// getRecent looks k up like get, trying the two newest entries before the
// map: a capture mostly alternates between the two directions of a few
// associations, and comparing keys is cheaper than hashing one.
func (l *lruMap[K, V]) getRecent(k K) *lruEntry[K, V] {
	if e := l.root.next; e != &l.root {
		if e.key == k {
			return e
		}
		if e = e.next; e != &l.root && e.key == k {
			return e
		}
	}
	return l.m[k]
}

// insert adds k as the newest entry. k must not be present.
func (l *lruMap[K, V]) insert(k K) *lruEntry[K, V] {
	e := l.free
	if e != nil {
		l.free = e.next
	} else {
		e = new(lruEntry[K, V])
	}
	e.key = k
	l.m[k] = e
	l.pushFront(e)
	return e
}

// touch marks e as the newest entry.
func (l *lruMap[K, V]) touch(e *lruEntry[K, V]) {
	if l.root.next == e {
		return
	}
	l.unlink(e)
	l.pushFront(e)
}

// rekey moves e to key k (which must not be present) and marks it newest.
func (l *lruMap[K, V]) rekey(e *lruEntry[K, V], k K) {
	delete(l.m, e.key)
	e.key = k
	l.m[k] = e
	l.touch(e)
}

// remove deletes e. The caller must already have released what val owns.
func (l *lruMap[K, V]) remove(e *lruEntry[K, V]) {
	delete(l.m, e.key)
	l.unlink(e)
	e.prev = nil
	e.next = l.free
	l.free = e
}

// oldest returns the least recently inserted/touched entry, or nil.
func (l *lruMap[K, V]) oldest() *lruEntry[K, V] {
	if l.root.prev == &l.root {
		return nil
	}
	return l.root.prev
}

// newer returns the entry inserted/touched just after e, or nil.
func (l *lruMap[K, V]) newer(e *lruEntry[K, V]) *lruEntry[K, V] {
	if e.prev == &l.root {
		return nil
	}
	return e.prev
}

func (l *lruMap[K, V]) pushFront(e *lruEntry[K, V]) {
	e.prev = &l.root
	e.next = l.root.next
	l.root.next.prev = e
	l.root.next = e
}

func (l *lruMap[K, V]) unlink(e *lruEntry[K, V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
}
