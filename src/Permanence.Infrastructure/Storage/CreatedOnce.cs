namespace Permanence.Infrastructure.Storage;

/// <summary>
/// A resource created on first use (a container, a queue) and then reused. Unlike Lazy&lt;Task&gt;, a failed
/// creation (storage down at start) is not cached: the next caller tries again.
/// </summary>
public sealed class CreatedOnce<T>(Func<Task<T>> create)
{
    private readonly object _gate = new();
    private Task<T>? _task;

    public Task<T> GetAsync()
    {
        lock (_gate)
        {
            if (_task is null || _task.IsFaulted || _task.IsCanceled)
            {
                _task = create();
            }
            return _task;
        }
    }
}
