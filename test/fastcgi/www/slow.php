<?php
usleep((int)($_GET['ms'] ?? 3000) * 1000);
echo "slow\n";
