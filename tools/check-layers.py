#!/usr/bin/env python3
# ctl/ parts may include headers of their own part and of the parts below
# them only (docs/ARCHITECTURE.md). Exit 1 naming each include that goes
# up or sideways, or a source file left directly in ctl/.
import os,re,sys
rank={'lib':0,'policy':1,'dataplane':2,'keys':3,'daemon':4,'tcctl':4,'cni':5}
bad=0
for part in rank:
    d='ctl/'+part
    if not os.path.isdir(d): continue
    for f in os.listdir(d):
        if not f.endswith(('.c','.h')): continue
        for m in re.finditer(r'#include "([a-z]+)/([a-z_0-9]+\.h)"', open(os.path.join(d,f)).read()):
            p=m.group(1)
            if p not in rank: continue
            if rank[p]>rank[part] or (rank[p]==rank[part] and p!=part):
                print('%s/%s includes %s/%s'%(part,f,p,m.group(2))); bad+=1
for f in os.listdir('ctl'):
    if os.path.isfile('ctl/'+f): print('left in ctl/:',f); bad+=1
sys.exit(1 if bad else 0)
