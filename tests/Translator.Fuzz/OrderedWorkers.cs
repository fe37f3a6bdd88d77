namespace Translator.Fuzz;

/// <summary>
/// Runs items 0..count-1 on several threads and hands their results to the caller's thread strictly in order, so a
/// campaign prints and counts the same whatever the number of threads. At most a window of results waits unclaimed.
/// </summary>
internal static class OrderedWorkers
{
    public static void Run<T>(long count, int threads, Func<long, T> work, Action<long, T> inOrder)
    {
        long window = threads * 16L;
        var done = new Dictionary<long, T>();
        long next = 0, claimed = -1;
        Exception? failure = null;
        var gate = new object();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                while (true)
                {
                    long n;
                    lock (gate)
                    {
                        while (failure is null && claimed + 1 < count && claimed + 1 >= next + window)
                        {
                            Monitor.Wait(gate); // far enough ahead: let the printer catch up
                        }

                        if (failure is not null || claimed + 1 >= count)
                        {
                            return;
                        }

                        n = ++claimed;
                    }

                    try
                    {
                        T result = work(n);
                        lock (gate)
                        {
                            done[n] = result;
                            Monitor.PulseAll(gate);
                        }
                    }
                    catch (Exception e)
                    {
                        lock (gate)
                        {
                            failure ??= new InvalidOperationException($"item {n} failed", e);
                            Monitor.PulseAll(gate);
                        }

                        return;
                    }
                }
            }, 16 << 20) { IsBackground = true, Name = $"fuzz worker {t}" };
            workers[t].Start();
        }

        while (true)
        {
            T result;
            long current;
            lock (gate)
            {
                while (failure is null && !done.ContainsKey(next))
                {
                    Monitor.Wait(gate);
                }

                if (failure is not null)
                {
                    throw failure;
                }

                result = done[next];
                done.Remove(next);
                current = next++;
                Monitor.PulseAll(gate);
            }

            inOrder(current, result);
            if (current + 1 == count)
            {
                return;
            }
        }
    }
}
