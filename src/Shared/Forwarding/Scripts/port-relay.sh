#!/bin/bash
# Port relay: one forwarded connection, run in the session (or a test-server pod) as `bash -c SCRIPT relay PORT`.
# Arguments: $1 = the session port (1-65535) on 127.0.0.1.
# stdin:     the client's bytes, written to the port. When stdin ends (the client's half-close), the relay shuts the
#            connection's sending side (the server reads EOF), and the answer keeps flowing until the server closes.
# stdout:    the port's bytes.
# stderr:    bash's complaint when the connection is refused.
# Exit:      0 when the port's server closed (at once, so the exec ends and the client sees the end); 1 when the
#            connection was refused.
# bash connects (its /dev/tcp), perl copies: bash cannot shutdown(2) one direction of a socket, and closing its
# copy of the descriptor sends no FIN while the reading side holds the same socket, so a server that answers after
# EOF never answered. perl is in every Paude image (the sync's safe-place.pl needs it). socat is not used: it waits
# for both directions to end, and `podman exec` passes a closed stdout on only when the process exits, so a client
# waiting for the server's close would hang.

exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
exec perl -e '
open(my $s, "+<&=", 3) or exit 1;
binmode($_) for $s, \*STDIN, \*STDOUT;
sub pump { my ($from, $to) = @_; my $buf; while (my $n = sysread($from, $buf, 65536)) { for (my $o = 0; $o < $n;) { my $w = syswrite($to, $buf, $n - $o, $o); return unless defined $w; $o += $w } } }
my $pid = fork;
exit 1 unless defined $pid;
if ($pid == 0) { pump(\*STDIN, $s); shutdown($s, 1); exit 0 }
pump($s, \*STDOUT);
kill "KILL", $pid;
exit 0'
