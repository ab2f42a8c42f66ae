#!/usr/bin/perl
# safe-place.pl: the program every push uses to change the session's workspace. It runs in the session, where the
# agent can race it, so it never writes or deletes through a symbolic link and never deletes session content the push
# does not own: a file<->folder, file<->link or folder<->link change standing in the way of a write is a conflict.
#
# Protocol: run in the workspace as `perl -e "$paude_pl" MODE STAGING FORCE BACKUP ROOT` (staging-functions.sh holds
# the program in $paude_pl; STAGING and ROOT absolute, ROOT = the workspace). stdin = NUL-terminated records
# W<path> (a file to place from STAGING/<path>) and D<path> (a file to delete).
#   check  (before anything changes; only looks) for every write, a link or a non-folder among its leading
#          components, or a link, folder or special file at the path itself, is an obstacle, unless the push owns it
#          (a file it deletes; a folder holding nothing but files it deletes). FORCE 0: every write behind an obstacle
#          is printed as C<path>\0 and the program exits 4, nothing changed. FORCE 1: each obstacle is moved into
#          BACKUP (workspace-relative, created) and printed as B<path>\0.
#   place  deletes first, then renames each staged file into place. The way to every path is walked one folder at a
#          time from the workspace: each component is lstat-ed (a link or a file is a refusal), entered, and the
#          folder entered checked to be the one examined (device and inode), so a link swapped in between the plan
#          and the write is refused, not followed. The final name is never followed either (unlink and rename act on
#          the entry itself): a link there is refused, an empty folder tree there is removed, a folder with content
#          is refused. A refusal prints "refused: <path>: <why>" on stderr and exits 8; what was placed before it
#          stays (each file whole).
# The program holds no single quote (bash holds it in single quotes) and uses core perl only, no modules.

use strict;
$/ = "\0";
my ($mode, $stg, $force, $bak, $root) = @ARGV;
my (@w, @d);
while (my $r = <STDIN>) { chomp $r; my $op = substr($r, 0, 1, ""); if ($op eq "D") { push @d, $r } else { push @w, $r } }
my %del = map { $_ => 1 } @d;
my @rootid = stat(".") or die "no workspace\n";
sub kind { my $t = $_[0] & 0170000; $t == 0120000 ? "l" : $t == 0040000 ? "d" : $t == 0100000 ? "f" : "o" }
sub refuse { print STDERR "refused: $_[0]: $_[1]\n"; exit 8 }
sub enter {
  my ($p, $make) = @_;
  chdir($root) or refuse($p, "the workspace is gone");
  my @h = stat(".");
  ($h[0] == $rootid[0] && $h[1] == $rootid[1]) or refuse($p, "the workspace was replaced during the sync");
  my @c = split m{/}, $p;
  my $name = pop @c;
  for my $c (@c) {
    my @s = lstat($c);
    if (!@s) {
      return undef unless $make;
      mkdir($c);
      @s = lstat($c) or refuse($p, "cannot create the folder $c: $!");
    }
    kind($s[2]) eq "l" and refuse($p, "the symbolic link $c is on its way");
    kind($s[2]) eq "d" or refuse($p, "$c on its way is not a folder");
    chdir($c) or refuse($p, "cannot enter $c: $!");
    @h = stat(".");
    ($h[0] == $s[0] && $h[1] == $s[1]) or refuse($p, "a link was planted on its way during the sync");
  }
  return $name;
}
sub only_deleted {
  my ($dir) = @_;
  opendir(my $dh, $dir) or return 0;
  for my $e (readdir $dh) {
    next if $e eq "." || $e eq "..";
    my @s = lstat("$dir/$e") or return 0;
    if (kind($s[2]) eq "d") { only_deleted("$dir/$e") or return 0 } elsif (!$del{"$dir/$e"}) { return 0 }
  }
  return 1;
}
sub clear_empty {
  my ($dir) = @_;
  opendir(my $dh, $dir) or return 0;
  for my $e (readdir $dh) {
    next if $e eq "." || $e eq "..";
    my @s = lstat("$dir/$e") or return 0;
    kind($s[2]) eq "d" && clear_empty("$dir/$e") or return 0;
  }
  return rmdir($dir);
}
sub mkpath { my $d = ""; for my $c (split m{/}, $_[0]) { $d .= ($d eq "" ? "" : "/") . $c; mkdir($d) unless -d $d } }
if ($mode eq "check") {
  my (%obs, @conf);
  for my $p (@w) {
    my @c = split m{/}, $p;
    my ($q, $hit) = ("", undef);
    for my $i (0 .. $#c) {
      $q .= ($i ? "/" : "") . $c[$i];
      my @s = lstat($q) or last;
      my $k = kind($s[2]);
      if ($i < $#c) {
        next if $k eq "d";
        $hit = $q unless $k eq "f" && $del{$q};
        last;
      }
      $hit = $q if $k eq "l" || $k eq "o" || ($k eq "d" && !only_deleted($q));
    }
    next unless defined $hit;
    $obs{$hit} = 1;
    push @conf, $p;
  }
  exit 0 unless @conf;
  if ($force ne "1") { print "C$_\0" for @conf; exit 4 }
  my @moved;
  for my $o (sort keys %obs) {
    next if grep { index($o, "$_/") == 0 } @moved;
    my $to = "$bak/$o";
    (my $parent = $to) =~ s{/[^/]*\z}{};
    mkpath($parent);
    rename($o, $to) or refuse($o, "cannot move it to $bak: $!");
    push @moved, $o;
    print "B$o\0";
  }
  exit 0;
}
for my $p (@d) {
  my $n = enter($p, 0);
  next unless defined $n;
  my @s = lstat($n) or next;
  next if kind($s[2]) eq "d";
  unlink($n) or refuse($p, "cannot delete it: $!");
}
for my $p (@w) {
  my $n = enter($p, 1);
  if (my @s = lstat($n)) {
    kind($s[2]) eq "l" and refuse($p, "is a symbolic link in the session");
    kind($s[2]) eq "d" and (clear_empty($n) or refuse($p, "a folder with content stands where the file goes"));
  }
  rename("$stg/$p", $n) or refuse($p, "cannot place it: $!");
}
