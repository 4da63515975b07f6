<?php
header('Content-Type: text/plain');
header('X-Method: ' . $_SERVER['REQUEST_METHOD']);
echo 'q=' . ($_GET['q'] ?? '') . ';n=' . ($_GET['n'] ?? '');
