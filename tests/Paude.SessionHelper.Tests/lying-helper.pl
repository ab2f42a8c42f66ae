#!/usr/bin/perl
# A lying session helper: what an agent could put in place of paude-session-helper to fool the host about a push.
# It runs the real helper ($ARGV[1]) behind it and passes every frame through both ways, except the replies the
# scenario ($ARGV[0]) names, which it forges (see LyingHelperTests, HelperChannelSyncTests,
# CommitFetcherLyingBundleTests):
#   write-wrong-hash  a write's Ok (16-byte hash) carries another hash; the real helper did write the file
#   read-wrong-hash   a read's ReadEnd carries a hash that is not the hash of the data sent
#   write-other-reply a write is answered with ListEnd (a reply of another request kind)
#   write-oversized   a write is answered with a frame header announcing almost 4 GiB
#   write-stall       a write's Ok and everything after it are withheld (the host must time out)
#   bundle-corrupt    a `git bundle` reply has a byte of its pack flipped (the header is left intact: the lie
#                     shows only when the host's indexer verifies the pack)
# With a third argument, a line "forged <scenario>" is appended to that file when the forgery is sent.
# Frames (PROTOCOL.md): u32 length (type + id + payload), u8 type, u32 id, payload.
use strict; use warnings;
use IPC::Open2;
binmode STDIN; binmode STDOUT; $| = 1;
my ($scenario, $real, $log) = @ARGV;
sub forged { return unless $log; open(my $fh, '>>', $log) or return; print $fh "forged $scenario\n"; close $fh }
die "usage: lying-helper.pl SCENARIO REAL-HELPER\n" unless defined $real;

sub read_exact { my ($fh, $n) = @_; my $buf = ''; while (length($buf) < $n) { my $r = sysread($fh, $buf, $n - length($buf), length($buf)); return undef unless $r; } $buf }
sub read_frame { my ($fh) = @_; my $h = read_exact($fh, 9) // return; my ($len, $type, $id) = unpack('N C N', $h); my $p = $len > 5 ? read_exact($fh, $len - 5) // return : ''; ($type, $id, $p) }
sub frame { my ($type, $id, $payload) = @_; pack('N C N', length($payload) + 5, $type, $id) . $payload }
sub put { my ($fh, $bytes) = @_; my $off = 0; while ($off < length $bytes) { my $w = syswrite($fh, $bytes, length($bytes) - $off, $off); exit 0 unless $w; $off += $w } }

my ($from_real, $to_real);
my $pid = open2($from_real, $to_real, $real);
binmode $from_real; binmode $to_real;

my $child = fork() // die "fork: $!";
if ($child == 0) {
  # Host → real helper, unchanged.
  close $from_real;
  while (my ($type, $id, $p) = read_frame(\*STDIN)) { put($to_real, frame($type, $id, $p)) }
  exit 0;
}
close $to_real;

my $done = 0;
my ($seen, $header, $target) = (undef, '', undef); # bundle-corrupt: bundle bytes passed, its header so far, where to flip
while (my ($type, $id, $p) = read_frame($from_real)) {
  my $write_ok = $type == 0x86 && length($p) == 16;
  if (!$done && $scenario eq 'write-wrong-hash' && $write_ok) { $p = join '', map { chr(ord($_) ^ 0xFF) } split //, $p; $done = 1 }
  elsif (!$done && $scenario eq 'read-wrong-hash' && $type == 0x85) { substr($p, 20, 16) = "\x5a" x 16; $done = 1 }
  elsif (!$done && $scenario eq 'write-other-reply' && $write_ok) { $type = 0x83; $p = ''; $done = 1 }
  elsif (!$done && $scenario eq 'write-oversized' && $write_ok) { forged(); put(\*STDOUT, pack('N C N', 0xFFFFFFF0, 0x86, $id)); sleep 600 }
  elsif (!$done && $scenario eq 'write-stall' && $write_ok) { forged(); sleep 600 }
  elsif (!$done && $scenario eq 'bundle-corrupt' && $type == 0x84 && (defined $seen || $p =~ /\A# v[23] git bundle\n/)) {
    # The bundle may come in many data frames, its header split anywhere: byte 20 of its pack is flipped.
    $seen //= 0; $header .= $p unless defined $target;
    $target = index($header, "\n\n") + 22 if !defined $target && index($header, "\n\n") >= 0;
    if (defined $target && $target < $seen + length $p) { my $i = $target - $seen; substr($p, $i, 1) = chr(ord(substr($p, $i, 1)) ^ 0xFF); $done = 1 }
    $seen += length $p }
  forged() if $done == 1 && ++$done;
  put(\*STDOUT, frame($type, $id, $p));
}
exit 0;
