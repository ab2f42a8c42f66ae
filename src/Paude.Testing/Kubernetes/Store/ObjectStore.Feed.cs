using System.Threading.Channels;

namespace Paude.Testing.Kubernetes.Store;

// The ordered event feed: bounded history for watches that resume from a resourceVersion, and live subscribers.
internal sealed partial class ObjectStore
{
    private const int HistoryLimit = 20_000;

    private readonly LinkedList<WatchEvent> _history = new();
    private readonly List<Channel<WatchEvent>> _subscribers = [];

    /// <summary>Subscribes to every change from now on; the reader ends when the store is disposed.</summary>
    public ChannelReader<WatchEvent> Subscribe(long fromResourceVersion, out bool expired)
    {
        var channel = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            expired = false;
            if (fromResourceVersion > 0)
            {
                if (_history.First is { } first && first.Value.ResourceVersion > fromResourceVersion + 1 && fromResourceVersion < _resourceVersion)
                {
                    expired = true;
                }

                foreach (var e in _history.Where(e => e.ResourceVersion > fromResourceVersion))
                {
                    channel.Writer.TryWrite(e);
                }
            }

            _subscribers.Add(channel);
        }

        return channel.Reader;
    }

    public void Unsubscribe(ChannelReader<WatchEvent> reader)
    {
        lock (_gate)
        {
            _subscribers.RemoveAll(c => c.Reader == reader);
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            foreach (var s in _subscribers)
            {
                s.Writer.TryComplete();
            }

            _subscribers.Clear();
        }
    }

    private void Publish(WatchEvent e)
    {
        _history.AddLast(e);
        if (_history.Count > HistoryLimit)
        {
            _history.RemoveFirst();
        }

        foreach (var s in _subscribers)
        {
            s.Writer.TryWrite(e);
        }
    }
}
